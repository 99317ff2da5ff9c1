"""Configuration with history: the versions of each editable list, a diff between two, a restore,
and saving a new version from a form (a document) or the YAML editor (text).

A saved version is validated with the other lists in force (422 names each bad key, and the line
for YAML text), put in force on this worker at once and on every other within about a second
(``ConfigChanged`` on the bus), and announced to every desktop (``config.changed``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from agent_ui.components.supervision import config_history, save_version
from agent_ui.deps import AdminUser, CurrentUser, ServicesDep, SupervisorUser, current_user, unit_of_work
from agent_ui.schemas.supervision import DiffOut, PreviewOut, VersionOut, VersionsOut
from agent_ui.serialize import iso
from config.lists import LIST_MODELS
from config.lists.common import check_placeholders, placeholders_in
from domain.errors import InvalidInput
from store.models import ConfigVersion, User
from store.repositories.template_values import customer_values

router = APIRouter(tags=["config"], dependencies=[Depends(current_user)])
ListName = Annotated[str, Path(max_length=32, pattern=r"^[a-z_]+$")]
Version = Annotated[int, Path(ge=1, le=1_000_000)]


class NewVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] | None = None
    text: str | None = Field(default=None, max_length=200_000)
    comment: str = Field(default="", max_length=500)
    base_version: int | None = Field(default=None, ge=0, description="the version the edit started from")


class Preview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: int = Field(ge=1, le=2_147_483_647)
    body: str = Field(min_length=1, max_length=5000)
    subject: str | None = Field(default=None, max_length=500)


class Restore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=500)


def full_document(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """A stored document with every default filled in (what the forms and the desktop read)."""
    model = LIST_MODELS.get(name)
    return document if model is None else model.model_validate(document).model_dump(mode="json")


@router.get("/api/config/lists/{name}/versions", response_model=VersionsOut)
async def versions(name: ListName, _user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    """Newest first; the first item is the version in force."""
    items = await config_history(services).versions(name)
    if not items:
        await config_history(services).load()  # version 1 from the shipped files
        items = await config_history(services).versions(name)
    return {"name": name, "current": items[0].version if items else None,
            "items": [{"version": v.version, "comment": v.comment, "author": v.author,
                       "created_at": iso(v.created_at), "restored_from": v.restored_from} for v in items]}


@router.get("/api/config/lists/{name}/versions/{version}", response_model=VersionOut)
async def version(name: ListName, version: Version, _user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """One version: its whole document (defaults filled in) and its YAML text as written."""
    row = await config_history(services).version(name, version)
    return await _body(services, row)


async def _body(services: ServicesDep, row: ConfigVersion) -> dict[str, Any]:
    author = None
    if row.created_by_id is not None:
        async with unit_of_work(services) as session:
            author = await session.scalar(select(User.username).where(User.id == row.created_by_id))
    return {"name": row.name, "version": row.version, "comment": row.comment, "author": author,
            "created_at": iso(row.created_at), "restored_from": row.restored_from,
            "document": full_document(row.name, row.document), "text": row.text}


@router.post("/api/config/lists/{name}/versions", status_code=status.HTTP_201_CREATED, response_model=VersionOut)
async def new_version(name: ListName, body: NewVersion, admin: AdminUser, services: ServicesDep) -> dict[str, Any]:
    """Save ``document`` (a form) or ``text`` (YAML) as the next version; ``base_version`` guards
    against overwriting a newer save (409)."""
    _snapshot, number = await save_version(services, admin, name, document=body.document, text=body.text,
                                           comment=body.comment, expected=body.base_version)
    return await _body(services, await config_history(services).version(name, number))


@router.post("/api/config/lists/{name}/versions/{version}/restore", status_code=status.HTTP_201_CREATED,
             response_model=VersionOut)
async def restore(name: ListName, version: Version, body: Restore, admin: AdminUser,
                  services: ServicesDep) -> dict[str, Any]:
    """A new version with the document of ``version`` (validated with the lists in force now)."""
    old = await config_history(services).version(name, version)
    note = body.comment.strip() or f"restored version {version}"
    _snapshot, number = await save_version(services, admin, name, document=old.document, comment=note,
                                           restored_from=version)
    return await _body(services, await config_history(services).version(name, number))


@router.get("/api/config/lists/{name}/diff", response_model=DiffOut)
async def diff(name: ListName, _user: SupervisorUser, services: ServicesDep,
               first: Annotated[int, Query(alias="from", ge=1, le=1_000_000)],
               second: Annotated[int, Query(alias="to", ge=1, le=1_000_000)]) -> dict[str, Any]:
    """A unified diff of two versions' documents, one string per line ("+" added, "-" removed)."""
    lines = await config_history(services).diff(name, first, second)
    return {"name": name, "from": first, "to": second, "lines": lines,
            "changed": sum(1 for line in lines if line[:1] in "+-" and line[:3] not in ("+++", "---"))}


@router.post("/api/config/templates/preview", response_model=PreviewOut)
async def preview(body: Preview, user: AdminUser, services: ServicesDep) -> dict[str, Any]:
    """A template (as being edited, not yet saved) filled in with a real customer's figures; a
    placeholder the customer has no value for is listed in ``missing`` and left as ``{name}``."""
    for field_name, text in (("body", body.body), ("subject", body.subject)):
        if text is not None:
            try:
                check_placeholders(text)
            except ValueError as exc:
                raise InvalidInput(str(exc), {field_name: str(exc)}) from exc
    lists = services.lists
    async with unit_of_work(services) as session:
        values = await customer_values(session, body.customer_id, services.settings.currency)
    values["agent"] = user.display_name
    known = {**lists.templates.placeholder_defaults, **values}
    used = placeholders_in(body.body) | (placeholders_in(body.subject) if body.subject else set())
    rendered = lists.render(body.body, values, strict=False)
    return {"customer_id": body.customer_id, "body": rendered,
            "subject": lists.render(body.subject, values, strict=False) if body.subject else None,
            "missing": sorted(used - set(known)), "length": len(rendered), "values": known}
