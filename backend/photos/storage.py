"""Content-addressed, durable storage of photo files (and representatives' PDFs), behind one
small interface with two implementations: the local media directory (the default) and an
S3-compatible object store (``backend.photos.s3``), chosen by the settings."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from backend.errors import Unavailable
from backend.i18n_markers import N_
from backend.settings import get_settings

SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")


class StoreUnavailable(Unavailable):
    """The store could not take or give a file now: nothing was stored, and trying again later works."""

    def __init__(self) -> None:
        super().__init__(N_("Photos cannot be stored just now, so nothing was saved. Please try again in a few minutes."))


class MediaStore(Protocol):
    """Where files live, named by the SHA-256 of their bytes. Every method blocks: call them in
    a thread (``anyio.to_thread``), never on the event loop."""

    def put(self, content: bytes, suffix: str = ".jpg") -> str:
        """Store ``content`` and return its SHA-256 once it is durable and verified; storing it
        again counts as storing it now (for ``delete_unused``). Raises ``StoreUnavailable``."""

    def read(self, sha256: str, suffix: str = ".jpg") -> bytes | None:
        """The file's bytes, or None when there is no such file."""

    def exists(self, sha256: str, suffix: str = ".jpg") -> bool: ...

    def delete_unused(self, sha256s: list[str], stored_before: float, suffix: str = ".jpg") -> None:
        """Remove these files, each unless it was stored (again) at or after ``stored_before``."""

    def local_path(self, sha256: str, suffix: str = ".jpg") -> Path | None:
        """A file on this machine's disk to serve as it is, when the store keeps one; else None
        (the app serves the bytes of ``read``)."""


def path_for(media_dir: Path, sha256: str, suffix: str = ".jpg") -> Path:
    return media_dir / sha256[:2] / sha256[2:4] / f"{sha256}{suffix}"


def key_for(sha256: str, suffix: str = ".jpg") -> str:
    """The same fan-out as on disk, so that a migrated directory and its bucket match name for name."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


class LocalStore:
    """The media directory on this machine's disk: fsync'd writes, atomic renames."""

    def __init__(self, media_dir: Path):
        self.media_dir = media_dir

    def put(self, content: bytes, suffix: str = ".jpg") -> str:
        """Write once, fsync'd: after this returns the file survives a crash or power loss."""
        sha256 = hashlib.sha256(content).hexdigest()
        target = path_for(self.media_dir, sha256, suffix)
        if target.exists():
            os.utime(target)  # stored again now: the clean-up of unclaimed uploads leaves it be
            return sha256
        new_directories = [d for d in (target.parent.parent, target.parent) if not d.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)  # atomic: readers see nothing or the whole file
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        # The new name, and any new fan-out directory, must be durable too.
        _fsync_directory(target.parent)
        for directory in new_directories:
            _fsync_directory(directory.parent)
        return sha256

    def read(self, sha256: str, suffix: str = ".jpg") -> bytes | None:
        try:
            return path_for(self.media_dir, sha256, suffix).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, sha256: str, suffix: str = ".jpg") -> bool:
        return path_for(self.media_dir, sha256, suffix).is_file()

    def delete_unused(self, sha256s: list[str], stored_before: float, suffix: str = ".jpg") -> None:
        for sha256 in sha256s:
            path = path_for(self.media_dir, sha256, suffix)
            try:
                if path.stat().st_mtime < stored_before:
                    path.unlink()
            except FileNotFoundError:
                continue  # removed by another worker already

    def local_path(self, sha256: str, suffix: str = ".jpg") -> Path | None:
        return path_for(self.media_dir, sha256, suffix)

    def stored(self) -> list[tuple[str, str]]:
        """Every file stored here, as (sha256, suffix): what ``minsheng media migrate`` copies."""
        found = []
        for path in sorted(self.media_dir.glob("??/??/*")):
            sha256, dot, suffix = path.name.partition(".")
            if path.is_file() and SHA256_NAME.match(sha256) and dot:
                found.append((sha256, f".{suffix}"))
        return found


@lru_cache(maxsize=1)
def media_store() -> MediaStore:
    """The store the settings name (one per process: the S3 client keeps its connections)."""
    settings = get_settings()
    if settings.media_store == "s3":
        from backend.photos.s3 import S3Store  # boto3 is imported only by installations that use it

        return S3Store(settings.s3)
    return LocalStore(settings.media_dir)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
