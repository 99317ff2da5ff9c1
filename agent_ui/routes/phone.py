"""The browser phone's API.

* ``POST /api/phone/session``: the desk opens its phone after sign-in: a fresh per-session SIP
  secret (its digest replaces the last one at the PBX), a Twilio access token, or ``desk``;
  ``DELETE`` at sign-out (the secret stops working). ``GET /api/phone``: my phone's state.
* ``PUT /api/users/{username}/phone`` (admin): ``webrtc`` (provisioned on the PBX) or ``desk``;
  ``POST /api/phone/provision`` (admin): write the PBX includes again and reload them.
* ``POST /api/phone/transfer`` ``{"call_id", "target_type": queue|agent|number, "target", "warm"}``
  and ``POST /api/phone/transfer/cancel`` ``{"call_id"}`` (202: the PBX answers on the socket as
  ``phone.control``); ``POST /api/phone/actions`` ``{"call_id", "action": hold|unhold|transfer_complete}``
  (controls the browser did over SIP, for the call log).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, ConfigDict, Field

from agent_ui.components.phone import phone_parts
from agent_ui.deps import AdminUser, CurrentUser, ServicesDep, current_user, unit_of_work
from agent_ui.schemas.phone import (
    CommandOut,
    NotedActionOut,
    PhoneLinesOut,
    PhoneSessionOut,
    PhoneStatusOut,
    ProvisionOut,
)
from agent_ui.schemas.replies import OkOut
from store.models import PhoneKind
from store.repositories.audit import AuditLog
from store.repositories.phone import PhoneLineRepository
from store.repositories.users import UserRepository

router = APIRouter(tags=["phone"], dependencies=[Depends(current_user)])
Username = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
CallId = Annotated[str, Field(min_length=1, max_length=80)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhoneKindBody(_Body):
    kind: Literal["webrtc", "desk"]


class TransferBody(_Body):
    call_id: CallId
    target_type: Literal["queue", "agent", "number"]
    target: str = Field(min_length=1, max_length=64)
    warm: bool = False


class CallBody(_Body):
    call_id: CallId


class ActionBody(_Body):
    call_id: CallId
    action: Literal["hold", "unhold", "transfer_complete"]


class ProvisionBody(_Body):
    reload: bool = False  # reload even if no file changed


@router.get("/api/phone", response_model=PhoneStatusOut)
async def my_phone(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return (await phone_parts(services).service.status(user)).to_json()


@router.post("/api/phone/session", response_model=PhoneSessionOut)
async def open_session(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Called by the desk once per sign-in; the secret is in this answer only, never stored."""
    return await phone_parts(services).service.open_session(user)


@router.delete("/api/phone/session", response_model=OkOut)
async def close_session(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    await phone_parts(services).service.close_session(user)
    return {"ok": True}


@router.put("/api/users/{username}/phone", tags=["users"], response_model=PhoneStatusOut)
async def declare_phone(username: Username, body: PhoneKindBody, admin: AdminUser,
                        services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        user = await UserRepository(session).require(username)
    result = await phone_parts(services).service.declare(user, PhoneKind(body.kind))
    async with unit_of_work(services) as session:
        AuditLog(session, admin.id).record("update", "phone", username, details={"kind": body.kind})
    return result.to_json()


@router.get("/api/phone/lines", tags=["users"], response_model=PhoneLinesOut)
async def phone_lines(_admin: AdminUser, services: ServicesDep) -> dict[str, Any]:
    """Every user's phone (admin page): ``webrtc`` or ``desk`` (a user with no line has a desk phone)."""
    async with unit_of_work(services) as session:
        lines = await PhoneLineRepository(session).lines()
        users = await UserRepository(session).list()
    return {"items": {u.username: {"kind": lines[u.id].kind.value if u.id in lines else "desk",
                                   "registered": bool(u.id in lines and lines[u.id].registered)} for u in users}}


@router.post("/api/phone/provision", response_model=ProvisionOut)
async def provision(body: ProvisionBody, admin: AdminUser, services: ServicesDep) -> dict[str, Any]:
    report = await phone_parts(services).provisioner.provision(force_reload=body.reload)
    async with unit_of_work(services) as session:
        AuditLog(session, admin.id).record("provision", "pbx", None, details=report.to_json())
    return report.to_json()


@router.post("/api/phone/transfer", status_code=status.HTTP_202_ACCEPTED, response_model=CommandOut)
async def transfer(body: TransferBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return await phone_parts(services).controls.transfer(user, body.call_id, warm=body.warm,
                                                         target_type=body.target_type, target=body.target)


@router.post("/api/phone/transfer/cancel", status_code=status.HTTP_202_ACCEPTED,
             response_model=CommandOut)
async def cancel_transfer(body: CallBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return await phone_parts(services).controls.cancel_warm(user, body.call_id)


@router.post("/api/phone/actions", response_model=NotedActionOut)
async def note_action(body: ActionBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return await phone_parts(services).controls.note(user, body.call_id, body.action)
