"""Attachments (seed 003): the bytes go to a file under the attachments folder, named by checksum.

The row keeps the name, type, size, SHA-256 and the path relative to the folder, never the bytes.
The file is written (and fsynced) before the row is added, so a committed row always has its file.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound
from store.models import Attachment

KINDS = ("document", "payment_confirmation")


def _write(root: Path, data: bytes) -> tuple[str, str]:
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(digest[:2]) / digest
    target = root / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{digest}.{secrets.token_hex(4)}.tmp")
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    return digest, relative.as_posix()


class AttachmentStore:
    def __init__(self, session: AsyncSession, root: Path) -> None:
        self.session = session
        self.root = Path(root)

    async def add(self, customer_id: int, *, filename: str, content_type: str, data: bytes,
                  kind: str, uploaded_by_id: int | None, interaction_id: int | None = None) -> Attachment:
        digest, relative = await asyncio.to_thread(_write, self.root, data)
        row = Attachment(customer_id=customer_id, interaction_id=interaction_id, kind=kind,
                         filename=filename, content_type=content_type, size_bytes=len(data),
                         sha256=digest, storage_path=relative, uploaded_by_id=uploaded_by_id)
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, attachment_id: int) -> Attachment:
        row = await self.session.get(Attachment, attachment_id)
        if row is None:
            raise NotFound(f"no attachment {attachment_id}", {"id": str(attachment_id)})
        return row

    async def list(self, customer_id: int) -> list[Attachment]:
        rows = await self.session.scalars(select(Attachment).where(Attachment.customer_id == customer_id)
                                          .order_by(Attachment.created_at, Attachment.id))
        return list(rows.all())

    def path_of(self, row: Attachment) -> Path:
        path = (self.root / row.storage_path).resolve()
        if self.root.resolve() not in path.parents or not path.is_file():
            raise NotFound("attachment file missing", {"id": str(row.id)})
        return path
