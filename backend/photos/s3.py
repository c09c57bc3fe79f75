"""The media store on any S3-compatible object store (Aliyun OSS, Tencent COS, Huawei OBS, MinIO,
Ceph, AWS), through boto3. Every object is private: the bucket is never read by the public, the
app serves each file itself after the same checks as on the local disk (``/media``), so an
original withheld by a moderator is never reachable from the bucket."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from backend.photos.storage import LocalStore, StoreUnavailable, key_for
from backend.settings import S3Settings

_MISSING = {"404", "NoSuchKey", "NotFound"}
_CONTENT_TYPES = {".jpg": "image/jpeg", ".pdf": "application/pdf"}


class S3Store:
    def __init__(self, settings: S3Settings):
        self.bucket = settings.bucket
        self.prefix = settings.prefix.strip("/") + "/" if settings.prefix.strip("/") else ""
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.endpoint or None,
            region_name=settings.region,
            aws_access_key_id=settings.access_key or None,
            aws_secret_access_key=settings.secret_key or None,
            config=Config(
                s3={"addressing_style": settings.addressing_style},
                # A store that is down fails the request in seconds, not after a minute of retries.
                connect_timeout=5,
                read_timeout=30,
                retries={"mode": "standard", "max_attempts": 3},
                # Content-MD5 (below) is what every S3-compatible store checks; the newer
                # trailing checksums of AWS are not understood by all of them.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def _key(self, sha256: str, suffix: str) -> str:
        return self.prefix + key_for(sha256, suffix)

    def put(self, content: bytes, suffix: str = ".jpg") -> str:
        """The store checks the bytes against their MD5 as it takes them; a HEAD then checks that
        the object is there, whole (its size, and its ETag, which is the MD5 of what one PUT
        stored), before the caller acknowledges anything. Storing again rewrites the object,
        which makes it new for ``delete_unused``."""
        sha256 = hashlib.sha256(content).hexdigest()
        md5 = hashlib.md5(content)
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(sha256, suffix),
                Body=content,
                ContentMD5=base64.b64encode(md5.digest()).decode(),
                ContentType=_CONTENT_TYPES.get(suffix, "application/octet-stream"),
            )
        except (BotoCoreError, ClientError) as error:
            raise StoreUnavailable() from error
        if not self.holds(sha256, content, suffix):
            raise StoreUnavailable()
        return sha256

    def read(self, sha256: str, suffix: str = ".jpg") -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(sha256, suffix))["Body"].read()
        except ClientError as error:
            if _missing(error):
                return None
            raise StoreUnavailable() from error
        except BotoCoreError as error:
            raise StoreUnavailable() from error

    def _head(self, sha256: str, suffix: str) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(sha256, suffix))
        except ClientError as error:
            if _missing(error):
                return None
            raise StoreUnavailable() from error
        except BotoCoreError as error:
            raise StoreUnavailable() from error

    def exists(self, sha256: str, suffix: str = ".jpg") -> bool:
        return self._head(sha256, suffix) is not None

    def holds(self, sha256: str, content: bytes, suffix: str = ".jpg") -> bool:
        """Whether the object is there with these bytes, by its size and its ETag (the MD5)."""
        head = self._head(sha256, suffix)
        return (
            head is not None
            and head["ContentLength"] == len(content)
            and head["ETag"].strip('"').lower() == hashlib.md5(content).hexdigest()
        )

    def delete_unused(self, sha256s: list[str], stored_before: float, suffix: str = ".jpg") -> None:
        for sha256 in sha256s:
            head = self._head(sha256, suffix)
            if head is not None and head["LastModified"].timestamp() < stored_before:
                try:
                    self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256, suffix))
                except (BotoCoreError, ClientError) as error:
                    raise StoreUnavailable() from error

    def local_path(self, sha256: str, suffix: str = ".jpg") -> Path | None:
        return None

    def objects(self) -> dict[str, str]:
        """Every object under the prefix and its ETag (a backup's manifest of the bucket)."""
        found = {}
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    found[item["Key"].removeprefix(self.prefix)] = item["ETag"].strip('"').lower()
        except (BotoCoreError, ClientError) as error:
            raise StoreUnavailable() from error
        return found


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _MISSING


def migrate(source: LocalStore, target: S3Store, progress: Callable[[str], None]) -> tuple[int, int]:
    """Copy every file of the media directory into the bucket; returns (copied, already there).

    Resumable: a file already in the bucket with its size and checksum is skipped, so running it
    again after an interruption copies only the rest. Each file's bytes are checked against the
    SHA-256 in its name before they leave (a damaged file stops the copy), and ``put`` verifies
    each object once stored."""
    files = source.stored()
    copied = skipped = 0
    for done, (sha256, suffix) in enumerate(files, start=1):
        content = source.read(sha256, suffix) or b""
        if hashlib.sha256(content).hexdigest() != sha256:
            raise ValueError(f"{sha256}{suffix}: its bytes do not match its name; the copy stopped here")
        if target.holds(sha256, content, suffix):
            skipped += 1
        else:
            target.put(content, suffix)
            copied += 1
        if done % 100 == 0 or done == len(files):
            progress(f"{done}/{len(files)} files: {copied} copied, {skipped} already in the bucket")
    return copied, skipped
