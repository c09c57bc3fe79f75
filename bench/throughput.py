"""Benchmark: real HTTP load on the running app against a bare Litestar "hello" app, and a
filing burst.

Pages. For each database and worker count, the app is served the way ``scripts/serve`` serves
it (``minsheng serve``: uvicorn, the same options), after ``minsheng migrate`` and
``minsheng seed-demo [--cases N]``. A bare Litestar app answering ``hello`` is served by the same
uvicorn with the same options and worker count, in the same run, as the baseline. ``wrk``
(Debian's package; installed here when missing) then loads each page for ``--duration`` seconds
with ``--connections`` connections, and the table gives requests/s, p50 and p99 latency, and
the share of the hello app's requests/s. Goals (issue 20): anonymous public pages and /healthz
at >= 0.5x hello with p99 < 50 ms at 64 connections; signed-in staff pages >= 0.1x, p99 < 150 ms.
Answers that are not 2xx/3xx are counted and shown: a page that answers errors fast is no win.

The API's per-client limit (``MINSHENG_API_REQUESTS_PER_MINUTE``, 300 by default) is raised to
10,000,000 for the run, since every wrk connection comes from one address; the table says so.

Photos (issue 20: "serving /media files is as fast as static files"; issue 25: also with the
media in an S3-compatible bucket): a public photo's display copy, and the same answered with a 304
to its ETag, beside a static file of about the same size; the table gives the photo's share of
the static file's requests/s. ``--media s3`` keeps the installation's media in a bucket of
``rclone serve s3`` (the rclone of the test dependencies) on 127.0.0.1, as several hosts would;
``--pages photo,static`` measures only the pages whose names contain these words.

Filing burst (``--burst-seconds``, 0 to skip): ``--filers`` citizens file at once for that long,
each through the report form as a browser does it (GET /report for the submission key, POST
/photos with a ~3 MB 12-megapixel phone JPEG, POST /report), while wrk keeps reading a case page. It prints filings per minute against what the photo pipeline alone
does on the same cores (``process_photo`` in one process per core, for as long), the public
page's p99 during the burst, and acknowledged cases against the cases and photos stored.

Run from the repository root:
    .venv/bin/python bench/throughput.py [--databases sqlite,postgres] [--workers 1,2]
        [--duration 10] [--connections 64] [--cases 0] [--burst-seconds 60] [--filers 32]
        [--media local|s3] [--pages WORD,...]
PostgreSQL: the server of MINSHENG_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), database minsheng_throughput (made afresh).
Files: /tmp/minsheng-throughput-<database>/ (made afresh). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/, whose calendar.py would hide the standard library's
POSTGRES = os.environ.get("MINSHENG_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
APP_PORT, HELLO_PORT, S3_PORT = 8811, 8812, 8813
API_LIMIT = "10000000"

HELLO_APP = """
from litestar import Litestar, get

@get("/", sync_to_thread=False)
def hello() -> str:
    return "hello"

def create_app() -> Litestar:
    return Litestar([hello])
"""

# Pages measured: name → (path, who). {case} is a public case's number, {staff_case} one that
# the handler's department handles; "revalidating" sends the page's own ETag back.
PAGES = [
    ("/healthz", "/healthz", "public"),
    ("home", "/", "public"),
    ("list", "/cases", "public"),
    ("list, filtered", "/cases?type=complaint&status=open", "public"),
    ("search 暖气", "/cases?q=" + quote("暖气"), "public"),
    ("case page", "/cases/{case}", "public"),
    ("case page, 304", "/cases/{case}", "revalidating"),  # a cache in front asking again with the ETag
    ("leaderboard", "/departments", "public"),
    ("trends", "/trends", "public"),
    ("atom feed", "/cases.atom", "public"),
    ("open311 requests", "/open311/v2/requests.json", "public"),
    ("api cases", "/api/v1/cases", "public"),
    ("static file", "{static}", "public"),
    ("photo", "/media/{photo}.jpg", "public"),
    ("photo, 304", "/media/{photo}.jpg", "revalidating"),
    ("moderation", "/moderation", "moderator"),
    ("department", "/department", "handler"),
    ("staff case page", "/staff/cases/{staff_case}", "handler"),
]


# The bucket of ``--media s3``: rclone serves the folders of this directory as buckets.
S3_ROOT = Path("/tmp/minsheng-throughput-s3")
S3_SETTINGS = {
    "MINSHENG_MEDIA_STORE": "s3",
    "MINSHENG_S3_BUCKET": "media",
    "MINSHENG_S3_ENDPOINT": f"http://127.0.0.1:{S3_PORT}",
    "MINSHENG_S3_ACCESS_KEY": "bench-key",
    "MINSHENG_S3_SECRET_KEY": "bench-secret",
    "MINSHENG_S3_ADDRESSING_STYLE": "path",
}
MEDIA = {"local": {}, "s3": S3_SETTINGS}


def _environment(database: str, media: str = "local") -> dict[str, str]:
    data = Path(f"/tmp/minsheng-throughput-{database}")
    env = dict(os.environ, MINSHENG_DATA_DIR=str(data), MINSHENG_MEDIA_DIR=str(data / "media"), PICCOLO_CONF="piccolo_conf")
    env.update(MEDIA[media])
    # This checkout's code, not that of the checkout whose .venv this is (a shared one, in a worktree).
    env["PYTHONPATH"] = str(ROOT)
    env["MINSHENG_API_REQUESTS_PER_MINUTE"] = API_LIMIT
    env["MINSHENG_ORIGIN"] = f"http://127.0.0.1:{APP_PORT}"
    if database == "postgres":
        env["MINSHENG_DATABASE_URL"] = POSTGRES.rsplit("/", 1)[0] + "/minsheng_throughput"
    else:
        env["MINSHENG_DATABASE_URL"] = f"sqlite:///{data}/minsheng.sqlite3"
    return env


def _minsheng(env: dict, *args: str) -> str:
    done = subprocess.run([str(ROOT / ".venv/bin/minsheng"), *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"minsheng {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


async def _recreate_postgres_database() -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute("DROP DATABASE IF EXISTS minsheng_throughput WITH (FORCE)")
        await connection.execute("CREATE DATABASE minsheng_throughput")
    finally:
        await connection.close()


def prepare(database: str, cases: int, media: str) -> dict:
    """A fresh installation with demo data, and the facts the pages need."""
    env = _environment(database, media)
    shutil.rmtree(env["MINSHENG_DATA_DIR"], ignore_errors=True)
    Path(env["MINSHENG_DATA_DIR"]).mkdir(parents=True)
    if database == "postgres":
        asyncio.run(_recreate_postgres_database())
    _minsheng(env, "migrate")
    _minsheng(env, "seed-demo", *(["--cases", str(cases)] if cases else []))
    facts = subprocess.run([sys.executable, __file__, "--facts"], env=env, cwd=ROOT, capture_output=True, text=True)
    if facts.returncode:
        sys.exit(f"facts failed:\n{facts.stderr[-3000:]}")
    return json.loads(facts.stdout.strip().splitlines()[-1])


async def _facts() -> dict:
    """In a child process of the bench's database: a public case, a moderator's and a
    handler's session (made through the real session store), a category to file in, a public
    photo and a static file of about its size."""
    from backend.accounts.audit import Who
    from backend.accounts.services import InvitationForm, get_account, invite
    from backend.accounts.sessions import Sessions, make_store
    from backend.vocabulary import CaseType
    from backend.cases.tables import Case
    from backend.departments.tables import Category
    from backend.photos.services import MediaKind, media_kind
    from backend.photos.storage import media_store
    from backend.photos.tables import Photo
    from backend.settings import get_settings
    from backend.web.templating import STATIC_DIR, static_url

    settings = get_settings()
    sessions = Sessions.from_settings(settings, make_store(settings))
    public = await Case.select(Case.number).where(Case.published_at.is_not_null()).order_by(Case.id).first()
    handled = await (
        Case.select(Case.number, Case.department).where(Case.department.is_not_null()).order_by(Case.id).first()
    )
    category = await Category.select(Category.id).where(Category.active.eq(True)).first()
    tokens = {}
    for role, fields in (("moderator", {}), ("handler", {"department_id": str(handled["department"])})):
        issued = await invite(InvitationForm(name=f"Bench {role}", role=role, **fields), actor=Who(None, "bench"))
        tokens[role] = await sessions.begin(await get_account(issued.account_id))
    photo = None
    for row in await Photo.select(Photo.display_sha256).where(Photo.case.published_at.is_not_null()).order_by(Photo.id):
        if (await media_kind(row["display_sha256"]))[0] == MediaKind.original:
            photo = row["display_sha256"]
            break
    photo_bytes = len(media_store().read(photo, ".jpg"))
    statics = [path for path in STATIC_DIR.rglob("*") if path.is_file()]
    static = min(statics, key=lambda path: abs(path.stat().st_size - photo_bytes))
    return {
        "photo": photo,
        "photo_bytes": photo_bytes,
        "static": static_url(static.relative_to(STATIC_DIR).as_posix()),
        "static_bytes": static.stat().st_size,
        "case": public["number"],
        "staff_case": handled["number"],
        "sessions": tokens,
        "category": category["id"],
        "case_type": CaseType.complaint.value,
    }


class Server:
    """``minsheng serve`` (or the hello app under the same uvicorn options) in its own process group."""

    def __init__(self, command: list[str], env: dict, port: int):
        self.port = port
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 60
        import httpx

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"server on {port} exited:\n{self.process.stderr.read().decode()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        sys.exit(f"server on {port} did not start")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def serve_app(env: dict, workers: int) -> Server:
    return Server([str(ROOT / ".venv/bin/minsheng"), "serve", "--port", str(APP_PORT), "--workers", str(workers)], env, APP_PORT)


def serve_hello(workers: int) -> Server:
    """The same uvicorn.run options as ``minsheng serve`` (backend/cli.py)."""
    folder = Path("/tmp/minsheng-throughput-hello")
    folder.mkdir(exist_ok=True)
    (folder / "hello_app.py").write_text(HELLO_APP)
    code = (
        "import uvicorn; uvicorn.run('hello_app:create_app', factory=True, host='127.0.0.1', "
        f"port={HELLO_PORT}, workers={workers}, proxy_headers=True, server_header=False, timeout_graceful_shutdown=5)"
    )
    return Server([sys.executable, "-c", code], dict(os.environ, PYTHONPATH=str(folder)), HELLO_PORT)


def _wrk_installed() -> str:
    found = shutil.which("wrk")
    if not found:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        found = shutil.which("wrk")
    return found


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, duration: float, connections: int, headers: dict[str, str] | None = None) -> dict:
    """One wrk run: requests/s, p50 and p99 in ms, and the count of answers that were errors."""
    command = [_wrk_installed(), "-t2", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if len(latency) < 2:
        sys.exit(f"wrk gave no latency distribution for {url}:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _milliseconds(latency["50"]),
        "p99": _milliseconds(latency["99"]),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1) if sockets else "",
    }


def measure_pages(database: str, media: str, workers: int, facts: dict, duration: float, connections: int, words: list[str]) -> list[tuple]:
    import httpx

    hello = serve_hello(workers)
    try:
        wrk(f"http://127.0.0.1:{HELLO_PORT}/", 2, connections)  # warm-up
        baseline = wrk(f"http://127.0.0.1:{HELLO_PORT}/", duration, connections)
    finally:
        hello.stop()
    rows = [("hello (bare Litestar)", baseline, 1.0)]
    app = serve_app(_environment(database, media), workers)
    try:
        for name, path, who in PAGES:
            if words and not any(word in name for word in words):
                continue
            url = f"http://127.0.0.1:{APP_PORT}" + path.format(**facts)
            headers = {"Cookie": f"minsheng_session={facts['sessions'][who]}"} if who in facts["sessions"] else {}
            if who == "revalidating":
                headers = {"If-None-Match": httpx.get(url).headers.get("etag", '"none before issue 20"')}
            wrk(url, 1, connections, headers)  # warm-up: caches, connections, jieba
            found = wrk(url, duration, connections, headers)
            rows.append((f"{name}{' (' + who + ')' if who != 'public' else ''}", found, found["rps"] / baseline["rps"]))
    finally:
        app.stop()
    return rows


def print_pages(database: str, media: str, workers: int, rows: list[tuple], connections: int, facts: dict) -> None:
    print(f"\n{database}, media {media}, {workers} worker(s), wrk -t2 -c{connections} (API limit raised to {API_LIMIT}/min)")
    print(f"{'page':<30}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'× hello':>9}  errors")
    for name, found, ratio in rows:
        bad = f"{found['errors']} non-2xx/3xx" if found["errors"] else ""
        bad += f" sockets: {found['socket_errors']}" if found["socket_errors"] else ""
        print(f"{name:<30}{found['rps']:>10.0f}{found['p50']:>9.1f}{found['p99']:>9.1f}{ratio:>9.3f}  {bad}", flush=True)
    measured = {name.split(" (")[0]: found["rps"] for name, found, _ in rows}
    if {"static file", "photo", "photo, 304"} <= measured.keys():
        static = measured["static file"]
        print(
            f"photo ({facts['photo_bytes'] / 1024:.0f} KB) against the static file {facts['static'].split('?')[0]} "
            f"({facts['static_bytes'] / 1024:.0f} KB): {measured['photo'] / static:.2f}× its requests/s, "
            f"the photo's 304 {measured['photo, 304'] / static:.2f}× (goal: as fast as static files, 1.0)"
        )


def phone_photo(seed: int) -> bytes:
    """A ~3 MB 12-megapixel JPEG with noise, as a phone takes it (each filer's differs)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.effect_noise((4032, 3024), 64).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(4032), rng.randrange(3024)
        draw.ellipse((x, y, x + rng.randrange(50, 900), y + rng.randrange(50, 900)), fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=72)
    return buffer.getvalue()


def _pipeline_for(photo: bytes, seconds: float) -> int:
    from backend.photos.pipeline import process_photo

    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        process_photo(photo)
        done += 1
    return done


def pipeline_per_minute(photo: bytes, seconds: float) -> float:
    """What the photo pipeline alone does on this machine's cores, one process per core."""
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor(cores) as pool:
        counts = list(pool.map(_pipeline_for, [photo] * cores, [seconds] * cores))
    return sum(counts) * 60 / seconds


async def _filer(client, number: int, photo: bytes, facts: dict, until: float, acknowledged: list, refused: list) -> None:
    while time.monotonic() < until:
        form = await client.get("/report")
        key = re.search(r'name="submission_key" value="([^"]*)"', form.text).group(1)
        upload = await client.post(
            "/photos", files={"photos": ("phone.jpg", photo, "image/jpeg")}, headers={"hx-request": "true"}
        )
        keys = re.findall(r'name="photo_key" value="([^"]+)"', upload.text)
        if upload.status_code != 200 or not keys:
            refused.append(f"photo {upload.status_code}")
            continue
        title = f"Burst filer {number} case {len(acknowledged)}-{random.random():.6f}"
        answer = await client.post(
            "/report",
            data={
                "submission_key": key, "case_type": facts["case_type"], "category_id": str(facts["category"]),
                "title": title, "description": "路灯不亮，晚上很黑，请尽快修理。", "address": "竞秀区朝阳大街", "publication": "public",
                "filer_name": "张先生", "filer_phone": "13800138000", "photo_key": keys,
            },
        )  # fmt: skip
        if answer.status_code == 303 and "/follow/" in answer.headers.get("location", ""):
            acknowledged.append((title, keys[0]))
        else:
            refused.append(f"report {answer.status_code}")


async def _burst(facts: dict, photos: list[bytes], seconds: float) -> tuple[list, list]:
    import httpx

    acknowledged, refused = [], []
    until = time.monotonic() + seconds
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{APP_PORT}", timeout=120) for _ in photos]
    try:
        await asyncio.gather(*(_filer(client, n, photo, facts, until, acknowledged, refused) for n, (client, photo) in enumerate(zip(clients, photos))))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return acknowledged, refused


async def _stored(titles: list[str]) -> dict:
    from backend.cases.tables import Case
    from backend.photos.tables import Photo

    found = await Case.select(Case.id, Case.title).where(Case.title.like("Burst filer %"))
    counted = {}
    for row in found:
        counted[row["title"]] = counted.get(row["title"], 0) + 1
    photos = await Photo.count().where(Photo.case.is_in([row["id"] for row in found] or [0]))
    return {
        "cases": len(found),
        "lost": sum(1 for title in titles if title not in counted),
        "duplicated": sum(count - 1 for count in counted.values()),
        "photos": photos,
    }


def filing_burst(database: str, media: str, workers: int, facts: dict, seconds: float, filers: int) -> None:
    import threading

    print(f"\n{database}, {workers} worker(s): filing burst, {filers} filers with ~3 MB photos for {seconds:.0f} s", flush=True)
    photos = [phone_photo(n) for n in range(filers)]
    alone = pipeline_per_minute(photos[0], min(seconds, 20))
    app = serve_app(_environment(database, media), workers)
    try:
        during = {}
        reader = threading.Thread(
            target=lambda: during.update(wrk(f"http://127.0.0.1:{APP_PORT}/cases/{facts['case']}", seconds, 8)), daemon=True
        )
        reader.start()
        started = time.monotonic()
        acknowledged, refused = asyncio.run(_burst(facts, photos, seconds))
        elapsed = time.monotonic() - started
        reader.join()
    finally:
        app.stop()
    child = subprocess.run(
        [sys.executable, __file__, "--stored"], input=json.dumps([title for title, _ in acknowledged]),
        env=_environment(database, media), cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if child.returncode:
        sys.exit(f"counting failed:\n{child.stderr[-3000:]}")
    stored = json.loads(child.stdout.strip().splitlines()[-1])
    per_minute = len(acknowledged) * 60 / elapsed
    print(f"photo pipeline alone ({os.cpu_count()} processes): {alone:.0f} photos/min")
    print(f"filings acknowledged: {len(acknowledged)} in {elapsed:.0f} s = {per_minute:.0f}/min ({per_minute / alone:.2f}× the pipeline alone; goal ≥ 0.8)")
    print(f"refused: {len(refused)} {sorted(set(refused))[:5]}")
    print(f"stored: {stored['cases']} cases ({stored['lost']} acknowledged but lost, {stored['duplicated']} duplicated), {stored['photos']} photos")
    if during:
        print(f"case page during the burst (wrk -c8): {during['rps']:.0f} req/s, p50 {during['p50']:.1f} ms, p99 {during['p99']:.1f} ms (goal < 100 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--cases", type=int, default=0, help="generated cases besides the demo's")
    parser.add_argument("--burst-seconds", type=float, default=60)
    parser.add_argument("--filers", type=int, default=32)
    parser.add_argument("--media", choices=sorted(MEDIA), default="local", help="where the installation keeps its photos")
    parser.add_argument("--pages", default="", help="only the pages whose names contain one of these words (comma-separated)")
    parser.add_argument("--facts", action="store_true", help=argparse.SUPPRESS)  # child: set-up facts
    parser.add_argument("--stored", action="store_true", help=argparse.SUPPRESS)  # child: count stored cases
    args = parser.parse_args()
    if args.facts:
        print(json.dumps(asyncio.run(_facts())))
        return
    if args.stored:
        print(json.dumps(asyncio.run(_stored(json.loads(sys.stdin.read())))))
        return

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    bucket = serve_bucket() if args.media == "s3" else None
    words = [word for word in args.pages.split(",") if word]
    try:
        for database in args.databases.split(","):
            facts = prepare(database, args.cases, args.media)
            for workers in [int(n) for n in args.workers.split(",")]:
                rows = measure_pages(database, args.media, workers, facts, args.duration, args.connections, words)
                print_pages(database, args.media, workers, rows, args.connections, facts)
                if args.burst_seconds:
                    filing_burst(database, args.media, workers, facts, args.burst_seconds, args.filers)
    finally:
        if bucket is not None:
            bucket.terminate()
            bucket.wait(10)


def serve_bucket() -> subprocess.Popen:
    """``rclone serve s3`` on an empty directory, its folder ``media`` the bucket."""
    import socket

    shutil.rmtree(S3_ROOT, ignore_errors=True)
    (S3_ROOT / S3_SETTINGS["MINSHENG_S3_BUCKET"]).mkdir(parents=True)
    keys = f"{S3_SETTINGS['MINSHENG_S3_ACCESS_KEY']},{S3_SETTINGS['MINSHENG_S3_SECRET_KEY']}"
    rclone = ROOT / ".venv/bin/rclone"
    process = subprocess.Popen([rclone, "serve", "s3", "--addr", f"127.0.0.1:{S3_PORT}", "--auth-key", keys, S3_ROOT], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", S3_PORT), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    sys.exit("rclone serve s3 did not come up in 30 s")


if __name__ == "__main__":
    main()
