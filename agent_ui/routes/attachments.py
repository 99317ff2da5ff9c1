"""Attachments (seed 003): documents and payment confirmations, stored on disk with their SHA-256."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from fastapi.responses import FileResponse

from agent_ui import serialize
from agent_ui.access import open_customer
from agent_ui.deps import CurrentUser, Id, ServicesDep, current_user, unit_of_work
from agent_ui.errors import PayloadTooLarge
from agent_ui.schemas.records import AttachmentOut
from agent_ui.schemas.replies import Items
from domain.errors import InvalidInput, NotFound
from store.models import Interaction
from store.repositories.attachments import AttachmentStore
from store.repositories.audit import AuditLog

router = APIRouter(tags=["attachments"], dependencies=[Depends(current_user)])
_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def _filename(raw: str | None) -> str:
    name = PurePath((raw or "").replace("\\", "/")).name.replace("\x00", "").strip()
    name = "".join(ch for ch in name if ch.isprintable())[:255]
    return name or "attachment"


@router.post("/api/customers/{customer_id}/attachments", status_code=status.HTTP_201_CREATED,
             response_model=AttachmentOut)
async def upload(
    customer_id: Id, user: CurrentUser, services: ServicesDep,
    file: Annotated[UploadFile, File(description="the document")],
    kind: Annotated[Literal["document", "payment_confirmation"], Form()] = "document",
    interaction_id: Annotated[int | None, Form(ge=1, le=2_147_483_647)] = None,
) -> dict[str, Any]:
    limit = services.settings.attachment_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"attachments are limited to {limit} bytes",
                              {"file": f"larger than {limit} bytes"})
    if not data:
        raise InvalidInput("the file is empty", {"file": "empty"})
    content_type = file.content_type or "application/octet-stream"
    if not _CONTENT_TYPE.match(content_type) or len(content_type) > 128:
        content_type = "application/octet-stream"
    async with unit_of_work(services) as session:
        await open_customer(session, user, customer_id, purpose="write")
        if interaction_id is not None:
            note = await session.get(Interaction, interaction_id)
            if note is None or note.customer_id != customer_id:
                raise InvalidInput("unknown interaction", {"interaction_id": "not a note of this customer"})
        row = await AttachmentStore(session, services.settings.attachments_dir).add(
            customer_id, filename=_filename(file.filename), content_type=content_type, data=data, kind=kind,
            uploaded_by_id=user.id, interaction_id=interaction_id)
        AuditLog(session, user.id).record("create", "attachment", row.id, customer_id=customer_id,
                                          details={"sha256": row.sha256, "size": row.size_bytes})
        names = await serialize.Names.load(session, [user.id])
    return serialize.attachment(row, names)


@router.get("/api/customers/{customer_id}/attachments", response_model=Items[AttachmentOut])
async def list_attachments(customer_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, what="attachments")
        AuditLog(session, user.id).record("read", "attachments", customer_id, customer_id=customer_id,
                                          details={"access": opened.why})
        rows = await AttachmentStore(session, services.settings.attachments_dir).list(customer_id)
        names = await serialize.Names.load(session, [r.uploaded_by_id for r in rows])
    return {"items": [serialize.attachment(r, names) for r in rows]}


@router.get("/api/attachments/{attachment_id}", response_class=FileResponse, responses={200: {
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    "description": "The document's bytes, as a download"}})
async def download(attachment_id: Id, user: CurrentUser, services: ServicesDep) -> FileResponse:
    async with unit_of_work(services) as session:
        store = AttachmentStore(session, services.settings.attachments_dir)
        try:
            row = await store.get(attachment_id)
            await open_customer(session, user, row.customer_id, what=f"attachment {attachment_id}")
        except NotFound:
            raise NotFound(f"no attachment {attachment_id}", {"id": str(attachment_id)}) from None
        AuditLog(session, user.id).record("read", "attachment", row.id, customer_id=row.customer_id)
        path = store.path_of(row)
    # whatever type it was uploaded as: a download, never rendered by the browser in our origin
    return FileResponse(path, media_type="application/octet-stream", filename=row.filename,
                        content_disposition_type="attachment", headers={"X-Content-Type-Options": "nosniff"})
