"""Bulk reminders (supervisors): preview (count and estimated cost), start after confirmation,
progress. ``filter``: ``{"kind": "promises_due", "day": "tomorrow"}`` or ``{"kind":
"days_past_due", "min_days": 1, "max_days": 30}`` (+ ``campaign``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, status
from pydantic import Field

from agent_ui.deps import Id, ServicesDep, SupervisorUser
from agent_ui.routes.messaging import messaging_of
from agent_ui.schemas.common import Body, Str64
from agent_ui.schemas.messaging import BulkPreviewOut, BulkRunOut
from agent_ui.schemas.replies import Items
from agent_ui.services import Services
from messaging.bulk import BulkFilter, BulkReminders, run_json
from store.repositories import bulk_sends
from store.repositories.messages import MessageRepository

router = APIRouter(tags=["messaging"])


class FilterBody(Body):
    kind: Literal["promises_due", "days_past_due"]
    day: Annotated[str, Field(max_length=10)] | None = None
    min_days: Annotated[int, Field(ge=0, le=10_000)] | None = None
    max_days: Annotated[int, Field(ge=0, le=10_000)] | None = None
    campaign: Str64 | None = None


class BulkBody(Body):
    filter: FilterBody
    template: Str64
    expected_count: Annotated[int, Field(ge=0)] | None = None


def reminders(services: Services) -> BulkReminders:
    service = messaging_of(services)
    return BulkReminders(service, service.composer.clock)


def spawn_queuing(services: Services, bulk: BulkReminders, bulk_id: int) -> None:
    name = f"messaging.bulk:{bulk_id}"
    if name not in services.supervisor.names():
        services.supervisor.spawn(name, lambda: bulk.queue_all(bulk_id))


@router.post("/api/messages/bulk/preview", response_model=BulkPreviewOut)
async def bulk_preview(body: BulkBody, user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    """How many customers, the estimated cost, and what the gate blocks in a sample."""
    return await reminders(services).preview(BulkFilter.from_json(body.filter.model_dump()), body.template, user)


@router.post("/api/messages/bulk", status_code=status.HTTP_202_ACCEPTED, response_model=BulkRunOut)
async def bulk_start(body: BulkBody, user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    """Start a confirmed run (``expected_count``: the count the person confirmed; 409 if it changed)."""
    bulk = reminders(services)
    run = await bulk.start(BulkFilter.from_json(body.filter.model_dump()), body.template, user, body.expected_count)
    spawn_queuing(services, bulk, run.id)
    return run_json(run, {})


@router.get("/api/messages/bulk/{bulk_id}", response_model=BulkRunOut)
async def bulk_progress(bulk_id: Id, user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    return await reminders(services).progress(bulk_id)


@router.get("/api/messages/bulk", response_model=Items[BulkRunOut])
async def bulk_runs(user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    async with services.database.session() as session:
        runs = await bulk_sends.recent(session)
        items = [run_json(run, await MessageRepository(session).bulk_counts(run.id)) for run in runs]
    return {"items": items}
