"""Dialer routes: click-to-call, the preview's dial, postpone and callbacks, supervisor approvals of
manual numbers, and "why am I not dialling?". The :class:`dialer.service.Dialer` is built by
:class:`agent_ui.components.dialer.DialerComponent` and is ``services.dialer``; without it every
route here answers 503 ``component-unavailable``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from agent_ui.access import open_customer
from agent_ui.deps import CurrentUser, Id, ServicesDep, SupervisorUser, current_user, unit_of_work
from agent_ui.line import line_status, require_line
from agent_ui.schemas.common import UtcTime
from agent_ui.schemas.dialer_why import QueueWhyOut
from agent_ui.schemas.records import ApprovalState
from agent_ui.schemas.replies import (
    ApprovalOut,
    ApprovalsOut,
    CallOut,
    DialerStatusOut,
    LineOut,
    MovedTaskOut,
    QueuedTaskOut,
)
from agent_ui.services import Services
from agent_ui.services import require as require_component
from dialer.service import Dialer
from domain.errors import InvalidInput
from domain.validation import callback_time, phone_text, require
from store.models import utcnow

MAX_DB_INT = 2_147_483_647
E164ish = Annotated[str, Field(min_length=3, max_length=32), AfterValidator(phone_text)]  # no extension


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
    at: UtcTime  # from now to a year ahead
    comment: str | None = Field(default=None, max_length=2000)
    task_id: int | None = Field(default=None, ge=1, le=MAX_DB_INT)
    customer_id: int | None = Field(default=None, ge=1, le=MAX_DB_INT)


class ApprovalBody(_Body):
    number: E164ish
    customer_id: int | None = Field(default=None, ge=1, le=MAX_DB_INT)
    call_reason: str | None = Field(default=None, max_length=64)  # the agent's pick (reasons.yaml, outbound)
    reason: str = Field(min_length=1, max_length=500)  # why this number must be called, for the supervisor


class DecisionBody(_Body):
    approve: bool


class TaskBody(_Body):
    customer_id: int = Field(ge=1, le=MAX_DB_INT)
    reason: str = Field(min_length=1, max_length=64)
    at: UtcTime | None = None
    comment: str | None = Field(default=None, max_length=2000)


def call_reason_label(services: Services, code: str | None) -> str:
    """The label of the outbound reason the agent chose; 422 with a sentence when none or unknown."""
    if not (code or "").strip():
        raise InvalidInput("Choose the reason for this call from the list: the desk does not pick one for you.",
                           {"call_reason": "required"})
    found = next((r for r in services.lists_source.current().call_reasons("outbound") if r.code == code), None)
    if found is None:
        raise InvalidInput(f"{code!r} is not a reason for an outgoing call; choose one from the list.",
                           {"call_reason": "unknown"})
    return found.label


def services_dialer(services: Services) -> Dialer:
    return require_component(services.dialer, "dialer")


def build_dialer_router() -> APIRouter:
    router = APIRouter(tags=["dialer"], dependencies=[Depends(current_user)])

    @router.post("/api/calls", status_code=status.HTTP_202_ACCEPTED, response_model=CallOut)
    async def click_to_call(body: CallBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        """Dial a customer's number (or an approved manual number); 409 compliance-blocked with
        ``details.rule`` and ``details.next_allowed_at`` when the gate says no."""
        dialer = services_dialer(services)
        async with unit_of_work(services) as session:
            await open_customer(session, user, body.customer_id, purpose="read")
        await require_line(services, user)
        call_id = await dialer.click_to_call(user.username, body.customer_id, body.number)
        return {"call_id": call_id}

    @router.post("/api/dialer/tasks/{task_id}/dial", status_code=status.HTTP_202_ACCEPTED, response_model=CallOut)
    async def dial_preview(task_id: Id, body: DialBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        """409 agent-not-available with a sentence at once when the agent has no working line."""
        dialer = services_dialer(services)
        await require_line(services, user)
        call_id = await dialer.preview_dial_now(user.username, task_id, body.number)
        return {"call_id": call_id}

    @router.post("/api/dialer/tasks/{task_id}/postpone", response_model=MovedTaskOut)
    async def postpone(task_id: Id, body: PostponeBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        return await services_dialer(services).postpone(user.username, task_id, body.hours, body.comment)

    @router.post("/api/dialer/callbacks", status_code=status.HTTP_201_CREATED, response_model=MovedTaskOut)
    async def callback(body: CallbackBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        require("at", callback_time, body.at, utcnow())
        if body.customer_id is not None:
            async with unit_of_work(services) as session:
                await open_customer(session, user, body.customer_id, purpose="read")
        return await services_dialer(services).schedule_callback(user.username, body.at, body.comment,
                                                           task_id=body.task_id, customer_id=body.customer_id)

    @router.post("/api/dialer/tasks", status_code=status.HTTP_201_CREATED, response_model=QueuedTaskOut)
    async def enqueue(body: TaskBody, _user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
        if body.at is not None:
            require("at", callback_time, body.at, utcnow())
        task_id = await services_dialer(services).enqueue(body.customer_id, body.reason, at=body.at,
                                                          comment=body.comment)
        return {"task_id": task_id}

    @router.get("/api/dialer/line", response_model=LineOut)
    async def line(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        """Whether the caller has a working phone line; the desk disables its dial buttons with ``reason``."""
        return asdict(await line_status(services, user))

    @router.get("/api/dialer/status", response_model=DialerStatusOut)
    async def dialer_status(services: ServicesDep) -> dict[str, Any]:
        return {"campaigns": await services_dialer(services).status()}

    @router.get("/api/dialer/my-queue", response_model=QueueWhyOut)
    async def my_queue(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        """Why the caller's "Calls to make" is empty: no campaign, the dialer stopped, the calling hours
        closed, nothing due, or every due call held by a contact rule (which, how many, when next)."""
        return await services_dialer(services).my_queue(user.username)

    @router.post("/api/approvals", status_code=status.HTTP_201_CREATED, response_model=ApprovalOut)
    async def request_approval(body: ApprovalBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
        """A manual number for a customer the caller may open (else 404, as for every customer route)."""
        if body.customer_id is not None:
            async with unit_of_work(services) as session:
                await open_customer(session, user, body.customer_id, purpose="write")
        label = call_reason_label(services, body.call_reason)
        return await services_dialer(services).request_approval(user.username, body.number, body.customer_id,
                                                          f"{label}: {body.reason.strip()}")

    @router.post("/api/approvals/{approval_id}/decision", response_model=ApprovalOut)
    async def decide(approval_id: Id, body: DecisionBody, user: SupervisorUser,
                     services: ServicesDep) -> dict[str, Any]:
        return await services_dialer(services).decide_approval(user.username, approval_id, body.approve)

    @router.get("/api/approvals", response_model=ApprovalsOut)
    async def approvals(_user: SupervisorUser, services: ServicesDep,
                        status_: Annotated[ApprovalState | None, Query(alias="status")] = None
                        ) -> dict[str, Any]:
        return {"approvals": await services_dialer(services).list_approvals(status_)}

    return router

