"""S3-compatible object storage for recordings, through boto3 (AWS, MinIO, Ceph ... by endpoint URL).

boto3 is synchronous: each call runs in a worker thread. The client is built on first use, never
at import. Objects carry their SHA-256 as metadata; the database holds it too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from config.phone_settings import RecordingSettings
from domain.errors import ConfigError, NotFound, StoreUnavailable
from recordings.storage import CHUNK, StoredObject, safe_key, sha256_of


class S3Storage:
    name = "s3"

    def __init__(self, settings: RecordingSettings) -> None:
        if not settings.s3_bucket:
            raise ConfigError("S3 storage needs SWITCHBOARD_RECORDINGS__S3_BUCKET", {"recordings.s3_bucket": "empty"})
        self._settings = settings
        self._client: Any = None

    def _s3(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            s = self._settings
            self._client = boto3.client(
                "s3", endpoint_url=s.s3_endpoint_url, region_name=s.s3_region,
                aws_access_key_id=s.s3_access_key_id or None,
                aws_secret_access_key=s.s3_secret_access_key.get_secret_value() or None,
                config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30))
        return self._client

    def _key(self, key: str) -> str:
        return self._settings.s3_prefix + safe_key(key)

    def local_path(self, key: str) -> Path | None:
        return None

    async def _call(self, method: str, **kwargs: Any) -> Any:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await asyncio.to_thread(getattr(self._s3(), method), **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                raise NotFound("the recording's object is gone") from exc
            raise StoreUnavailable(f"object storage refused {method}", {"code": code}) from exc
        except (BotoCoreError, Boto3Error) as exc:
            raise StoreUnavailable(f"object storage unreachable during {method}", {"error": str(exc)[:200]}) from exc

    async def put_file(self, key: str, source: Path, content_type: str) -> StoredObject:
        size, digest = await asyncio.to_thread(sha256_of, source)
        await self._call("upload_file", Filename=str(source), Bucket=self._settings.s3_bucket, Key=self._key(key),
                         ExtraArgs={"ContentType": content_type, "Metadata": {"sha256": digest}})
        return StoredObject(key, size, digest)

    async def size(self, key: str) -> int:
        head = await self._call("head_object", Bucket=self._settings.s3_bucket, Key=self._key(key))
        return int(head["ContentLength"])

    async def stream(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        answer = await self._call("get_object", Bucket=self._settings.s3_bucket, Key=self._key(key),
                                  Range=f"bytes={start}-{end}")
        body = answer["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Bucket=self._settings.s3_bucket, Key=self._key(key))
