"""The recording storage interface on both implementations: a local directory, and S3-compatible
object storage through boto3 against moto's S3 server on 127.0.0.1 (a real HTTP server)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.phone_settings import RecordingSettings
from domain.errors import InvalidInput, NotFound
from recordings.fakes import s3_server
from recordings.s3 import S3Storage
from recordings.storage import LocalDirectoryStorage, RecordingStorage, build_storage
from tests.recordings.wavs import tone_wav

BUCKET = "sb-recordings"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    with s3_server(BUCKET) as url:
        yield url


def s3_settings(url: str) -> RecordingSettings:
    return RecordingSettings(storage="s3", s3_bucket=BUCKET, s3_endpoint_url=url, s3_access_key_id="test",
                             s3_secret_access_key=SecretStr("test"), s3_prefix="calls/")


@pytest.fixture(params=["local", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RecordingStorage]:
    if request.param == "local":
        yield LocalDirectoryStorage(tmp_path / "store")
    else:
        yield build_storage(s3_settings(request.getfixturevalue("s3_url")))


async def _read(storage: RecordingStorage, key: str, start: int, end: int) -> bytes:
    return b"".join([chunk async for chunk in storage.stream(key, start, end)])


async def test_put_keeps_the_bytes_and_their_sha256_and_reads_ranges(storage: RecordingStorage,
                                                                      tmp_path: Path) -> None:
    data = tone_wav(2.0)
    source = tmp_path / "call.wav"
    source.write_bytes(data)
    stored = await storage.put_file("2026/12/07/call.wav", source, "audio/wav")
    assert stored.size == len(data) and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await storage.size("2026/12/07/call.wav") == len(data)
    assert await _read(storage, "2026/12/07/call.wav", 0, len(data) - 1) == data
    assert await _read(storage, "2026/12/07/call.wav", 1000, 1999) == data[1000:2000]  # a seek
    await storage.delete("2026/12/07/call.wav")
    with pytest.raises(NotFound):
        await storage.size("2026/12/07/call.wav")
    await storage.delete("2026/12/07/call.wav")  # deleting twice is harmless


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../x.wav", "a/../../x.wav", "a//b.wav"])
async def test_keys_cannot_leave_the_storage(storage: RecordingStorage, key: str, tmp_path: Path) -> None:
    source = tmp_path / "x.wav"
    source.write_bytes(b"RIFF")
    with pytest.raises(InvalidInput):
        await storage.put_file(key, source, "audio/wav")


def test_the_settings_choose_the_storage(tmp_path: Path) -> None:
    assert isinstance(build_storage(RecordingSettings(local_dir=tmp_path)), LocalDirectoryStorage)
    assert isinstance(build_storage(s3_settings("http://127.0.0.1:9")), S3Storage)
