"""The escalation queue (supervisors): list, act (acknowledge, reassign, follow-up, close with a
note), run the account scan now, and the report by rule, age and outcome."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from agent_ui.components.supervision import escalation_service
from agent_ui.deps import Id, Limit, Offset, ServicesDep, SupervisorUser, current_user, unit_of_work
from agent_ui.routes.csv_export import csv_response
from agent_ui.routes.ranges import local_window
from agent_ui.routes.reports import CSV_TOO
from agent_ui.schemas.common import Day, UtcTime
from agent_ui.schemas.supervision import EscalationOut, EscalationReportOut, EscalationsOut, ScanOut
from domain.events import utcnow
from store.models import EscalationState
from store.repositories.escalations import EscalationRepository, StateFilter
from supervision.escalation_rules import RULE_LABELS

router = APIRouter(tags=["escalations"], dependencies=[Depends(current_user)])
AGES = ((86_400, "under 1 day"), (3 * 86_400, "1-3 days"), (7 * 86_400, "3-7 days"))
OLDEST = "7 days or more"


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["acknowledge", "reassign", "follow_up", "close"]
    agent: str | None = Field(default=None, max_length=64, description="reassign: the new agent; follow_up: who")
    due_at: UtcTime | None = Field(default=None, description="follow_up: when (with a time zone)")
    note: str | None = Field(default=None, max_length=2000, description="required to close")


@router.get("/api/escalations", response_model=EscalationsOut)
async def list_escalations(_user: SupervisorUser, services: ServicesDep, state: StateFilter = "open",
                           rule: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
                           limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """``state=open`` (the queue, oldest first), ``closed`` or ``all``; ``open_count`` for the header."""
    return await escalation_service(services).listing(state, rule, limit, offset)


@router.post("/api/escalations/{escalation_id}/actions", response_model=EscalationOut)
async def act(escalation_id: Id, body: ActionBody, user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    """Each action is written in the escalation and in the customer's history; 409 once closed."""
    return await escalation_service(services).act(user, escalation_id, body.action, agent=body.agent,
                                                  due_at=body.due_at, note=body.note)


@router.post("/api/escalations/scan", response_model=ScanOut)
async def scan(_user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    """Check the account rules now (they are also checked every few minutes)."""
    return {"raised": await escalation_service(services).scan()}


def age_bucket(seconds: float) -> str:
    for limit, name in AGES:
        if seconds < limit:
            return name
    return OLDEST


def outcome_of(state: EscalationState, outcome: str | None) -> str:
    """open, in hand (acknowledged), reassigned, follow-up set, or closed (whatever its state since)."""
    if state == EscalationState.OPEN:
        return "open"
    if state == EscalationState.ACKNOWLEDGED and outcome in (None, "acknowledged"):
        return "in hand"
    return {"reassigned": "reassigned", "follow_up": "follow-up set"}.get(outcome or "", "closed")


@router.get("/api/reports/escalations", response_model=EscalationReportOut, responses=CSV_TOO)
async def report(_user: SupervisorUser, services: ServicesDep,
                 since: Annotated[Day | None, Query(alias="from")] = None,
                 until: Annotated[Day | None, Query(alias="to")] = None,
                 format: Literal["json", "csv"] = "json") -> dict[str, Any] | Response:
    """Escalations raised in the range counted by rule, by age (open: so far; closed: until closed)
    and by outcome (open, in hand, reassigned, follow-up set, closed)."""
    since, until, start, end = local_window(services, since, until)
    now = utcnow()
    async with unit_of_work(services) as session:
        rows = await EscalationRepository(session).in_range(start, end)
    counts: Counter[tuple[str, str, str]] = Counter()
    for e in rows:
        age = ((e.closed_at or now) - e.raised_at).total_seconds()
        counts[(e.rule, age_bucket(age), outcome_of(e.state, e.outcome))] += 1
    items: list[dict[str, Any]] = [
        {"rule": rule, "rule_label": RULE_LABELS.get(rule, rule), "age": age, "outcome": outcome, "count": n}
             for (rule, age, outcome), n in sorted(counts.items())]
    if format == "csv":
        return csv_response(("rule", "rule_label", "age", "outcome", "count"), items,
                            f"escalations-{since}-{until}.csv")

    def total(key: str) -> list[dict[str, Any]]:
        found: Counter[str] = Counter()
        for item in items:
            found[str(item[key])] += int(item["count"])
        return [{key: k, "count": n} for k, n in sorted(found.items())]

    return {"from": since.isoformat(), "to": until.isoformat(), "total": len(rows), "items": items,
            "by_rule": total("rule"), "by_age": total("age"), "by_outcome": total("outcome")}
