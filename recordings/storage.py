"""Where recordings live: one interface, two implementations (a local directory, S3-compatible).

``put_file`` copies a finished recording in and returns its size and SHA-256 (computed while
reading the file); ``stream`` reads a byte range (the player seeks with HTTP Range requests);
``delete`` removes it (retention). Keys are relative paths such as ``2026/12/06/<name>.wav``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from config.phone_settings import RecordingSettings
from domain.errors import InvalidInput, NotFound

CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    sha256: str


class RecordingStorage(Protocol):
    name: str

    async def put_file(self, key: str, source: Path, content_type: str) -> StoredObject: ...

    async def size(self, key: str) -> int: ...

    def stream(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes ``start``..``end`` inclusive (NotFound if the object is gone)."""
        ...

    async def delete(self, key: str) -> None: ...

    def local_path(self, key: str) -> Path | None:
        """The file itself when the storage is a local directory (served with Range support)."""
        ...


def sha256_of(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def safe_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise InvalidInput("bad recording key", {"key": key})
    return key


class LocalDirectoryStorage:
    """The default: files under ``root`` (created on first use)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root / safe_key(key)

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    async def put_file(self, key: str, source: Path, content_type: str) -> StoredObject:
        return await asyncio.to_thread(self._put, key, source)

    def _put(self, key: str, source: Path) -> StoredObject:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            size, digest = sha256_of(Path(tmp))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredObject(key, size, digest)

    async def size(self, key: str) -> int:
        try:
            return (await asyncio.to_thread(self._path(key).stat)).st_size
        except FileNotFoundError as exc:
            raise NotFound("the recording's file is gone") from exc

    async def stream(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError as exc:
            raise NotFound("the recording's file is gone") from exc
        try:
            await asyncio.to_thread(handle.seek, start)
            left = end - start + 1
            while left > 0:
                chunk = await asyncio.to_thread(handle.read, min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)


def build_storage(settings: RecordingSettings) -> RecordingStorage:
    """The storage the settings name (no client is created until first use)."""
    if settings.storage == "s3":
        from recordings.s3 import S3Storage

        return S3Storage(settings)
    return LocalDirectoryStorage(settings.local_dir)
