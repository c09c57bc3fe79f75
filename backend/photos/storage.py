"""Content-addressed, durable storage of photo files (and representatives' PDFs) under the media directory."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")


def path_for(media_dir: Path, sha256: str, suffix: str = ".jpg") -> Path:
    return media_dir / sha256[:2] / sha256[2:4] / f"{sha256}{suffix}"


def store(media_dir: Path, content: bytes, suffix: str = ".jpg") -> str:
    """Write once, fsync'd: after this returns the file survives a crash or power loss."""
    sha256 = hashlib.sha256(content).hexdigest()
    target = path_for(media_dir, sha256, suffix)
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


def delete_unused(media_dir: Path, sha256s: list[str], stored_before: float, suffix: str = ".jpg") -> None:
    """Remove these files, each unless it was stored (again) at or after ``stored_before``."""
    for sha256 in sha256s:
        path = path_for(media_dir, sha256, suffix)
        try:
            if path.stat().st_mtime < stored_before:
                path.unlink()
        except FileNotFoundError:
            continue  # removed by another worker already


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
