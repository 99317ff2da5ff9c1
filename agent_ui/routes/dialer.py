"""Dialer routes: click-to-call, the preview's dial, postpone and callbacks, supervisor approvals of
manual numbers, and "why am I not dialling?". The :class:`dialer.service.Dialer` is built by
:class:`DialerComponent` and parked in ``services.extras["dialer"]``.

Wiring (agent_ui.wiring): append ``DialerComponent()`` to ``default_components`` and
``build_dialer_router()`` to ``extra_routers``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from agent_ui.access import open_customer
from agent_ui.deps import CurrentUser, Id, ServicesDep, SupervisorUser, current_user, unit_of_work
from agent_ui.services import Services
from config.compliance_loader import load_pack
from dialer.service import Dialer
from domain.errors import StoreUnavailable

MAX_DB_INT = 2_147_483_647
E164ish = Annotated[str, Field(min_length=3, max_length=32)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CallBody(_Body):
    customer_id: int = Field(ge=1, le=MAX_DB_INT)
    number: E164ish | None = None


class DialBody(_Body):
    number: E164ish | None = None


class PostponeBody(_Body):
    hours: int = Field(ge=1, le=72)
    comment: str | None = Field(default=None, max_length=2000)


class CallbackBody(_Body):
    at: datetime
    comment: str | None = Field(default=None, max_length=2000)
    task_id: int | None = Field(default=None, ge=1, le=MAX_DB_INT)
    customer_id: int | None = Field(default=None, ge=1, le=MAX_DB_INT)


class ApprovalBody(_Body):
    number: E164ish
    customer_id: int | None = Field(default=None, ge=1, le=MAX_DB_INT)
    reason: str = Field(min_length=1, max_length=500)


class DecisionBody(_Body):
    approve: bool


class TaskBody(_Body):
    customer_id: int = Field(ge=1, le=MAX_DB_INT)
    reason: str = Field(min_length=1, max_length=64)
    at: datetime | None = None
    comment: str | None = Field(default=None, max_length=2000)


def services_dialer(services: Services) -> Dialer:
    dialer = services.extras.get("dialer")
    if not isinstance(dialer, Dialer):
        raise StoreUnavailable("the dialer is not running in this process")
    return dialer


def build_dialer_router(dialer_of: Callable[[Services], Dialer] = services_dialer) -> APIRouter:
    router = APIRouter(tags=["dialer"], dependencies=[Depends(current_user)])

    @router.post("/api/calls", status_code=status.HTTP_202_ACCEPTED)
    async def click_to_call(body: CallBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        """Dial a customer's number (or an approved manual number); 409 compliance-blocked with
        ``details.rule`` and ``details.next_allowed_at`` when the gate says no."""
        async with unit_of_work(services) as session:
            await open_customer(session, user, body.customer_id, purpose="read")
        call_id = await dialer_of(services).click_to_call(user.username, body.customer_id, body.number)
        return {"call_id": call_id}

    @router.post("/api/dialer/tasks/{task_id}/dial", status_code=status.HTTP_202_ACCEPTED)
    async def dial_preview(task_id: Id, body: DialBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        call_id = await dialer_of(services).preview_dial_now(user.username, task_id, body.number)
        return {"call_id": call_id}

    @router.post("/api/dialer/tasks/{task_id}/postpone")
    async def postpone(task_id: Id, body: PostponeBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        return await dialer_of(services).postpone(user.username, task_id, body.hours, body.comment)

    @router.post("/api/dialer/callbacks", status_code=status.HTTP_201_CREATED)
    async def callback(body: CallbackBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        if body.customer_id is not None:
            async with unit_of_work(services) as session:
                await open_customer(session, user, body.customer_id, purpose="read")
        return await dialer_of(services).schedule_callback(user.username, body.at, body.comment,
                                                           task_id=body.task_id, customer_id=body.customer_id)

    @router.post("/api/dialer/tasks", status_code=status.HTTP_201_CREATED)
    async def enqueue(body: TaskBody, _user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
        task_id = await dialer_of(services).enqueue(body.customer_id, body.reason, at=body.at, comment=body.comment)
        return {"task_id": task_id}

    @router.get("/api/dialer/status")
    async def dialer_status(services: ServicesDep) -> dict[str, Any]:
        return {"campaigns": await dialer_of(services).status()}

    @router.post("/api/approvals", status_code=status.HTTP_201_CREATED)
    async def request_approval(body: ApprovalBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        return await dialer_of(services).request_approval(user.username, body.number, body.customer_id,
                                                          body.reason)

    @router.post("/api/approvals/{approval_id}/decision")
    async def decide(approval_id: Id, body: DecisionBody, user: SupervisorUser,
                     services: ServicesDep) -> dict[str, Any]:
        return await dialer_of(services).decide_approval(user.username, approval_id, body.approve)

    @router.get("/api/approvals")
    async def approvals(_user: SupervisorUser, services: ServicesDep,
                        status_: Annotated[str | None, Query(alias="status", max_length=16)] = None
                        ) -> dict[str, Any]:
        return {"approvals": await dialer_of(services).list_approvals(status_)}

    return router


class DialerComponent:
    """Builds the Dialer from the services, subscribes it, starts its loops; stops them."""

    name = "dialer"

    async def start(self, services: Services) -> None:
        if services.bus is None or services.outbox is None:
            return
        dialer = Dialer(services.settings, services.database, services.bus, services.outbox,
                        services.lists_source.current, load_pack(services.settings.compliance_pack),
                        services.supervisor)
        dialer.subscribe(services.bus)
        await dialer.start()
        services.extras["dialer"] = dialer

    async def stop(self, services: Services) -> None:
        dialer = services.extras.pop("dialer", None)
        if isinstance(dialer, Dialer):
            await dialer.stop()
