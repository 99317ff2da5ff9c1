"""Assignment of accounts and campaigns to agents (seed 003): supervisors and admins only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from agent_ui.deps import Id, ServicesDep, SupervisorUser, current_user, unit_of_work
from agent_ui.lookups import ensure_campaign
from agent_ui.schemas.customers import AssigneeBody, BulkAssignment, CampaignAgents
from agent_ui.schemas.replies import AssigneeOut, BulkAssignmentOut, CampaignOut, Items
from agent_ui.services import Services
from bus.outbox_names import WORK_ASSIGNED, agent_stream
from domain.errors import NotFound
from store.repositories.assignments import AssignmentRepository, CampaignView
from store.repositories.audit import AuditLog

router = APIRouter(tags=["assignment"], dependencies=[Depends(current_user)])
CampaignCode = Annotated[str, Path(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


async def tell_agents(services: Services, before: dict[int, str | None], done: list[int], agent: str | None,
                      by: str) -> None:
    """Push ``work.assigned`` to the agent who gained accounts and to each who lost some, so that
    their work lists change now (committed first: a desk that reloads sees the new owner)."""
    lost: dict[str, list[int]] = {}
    for customer_id in done:
        old = before.get(customer_id)
        if old is not None and old != agent:
            lost.setdefault(old, []).append(customer_id)
    gained = [cid for cid in done if before.get(cid) != agent]
    frames = [(agent_stream(name), WORK_ASSIGNED, {"removed": ids, "by": by}) for name, ids in lost.items()]
    if agent is not None and gained:
        frames.append((agent_stream(agent), WORK_ASSIGNED, {"added": gained, "by": by}))
    if frames and services.outbox is not None:
        await services.outbox.append_many(frames)


def campaign_json(view: CampaignView) -> dict[str, Any]:
    c = view.campaign
    return {"code": c.code, "name": c.name, "carrier": c.carrier, "queue": c.queue, "active": c.active,
            "agents": view.agents, "customers": view.customers}


@router.put("/api/customers/{customer_id}/assignee", response_model=AssigneeOut)
async def set_assignee(customer_id: Id, body: AssigneeBody, user: SupervisorUser,
                       services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        repo = AssignmentRepository(session)
        agent = None if body.agent is None else await repo.agent(body.agent)
        before, name = await repo.owners([customer_id]), agent.username if agent else None
        done = await repo.assign([customer_id], agent.id if agent else None)
        if not done:
            raise NotFound(f"no customer {customer_id}", {"id": str(customer_id)})
        AuditLog(session, user.id).record("assign", "customer", customer_id, customer_id=customer_id,
                                          details={"agent": body.agent})
    await tell_agents(services, before, done, name, user.username)
    return {"customer_id": customer_id, "assigned_agent": body.agent}


@router.post("/api/assignments", response_model=BulkAssignmentOut)
async def bulk_assign(body: BulkAssignment, user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        repo = AssignmentRepository(session)
        agent = None if body.agent is None else await repo.agent(body.agent)
        before, name = await repo.owners(body.customer_ids), agent.username if agent else None
        done = await repo.assign(body.customer_ids, agent.id if agent else None)
        audit = AuditLog(session, user.id)
        for customer_id in done:
            audit.record("assign", "customer", customer_id, customer_id=customer_id,
                         details={"agent": body.agent, "bulk": True})
    await tell_agents(services, before, done, name, user.username)
    missing = sorted(set(body.customer_ids) - set(done))
    return {"assigned": done, "not_found": missing, "agent": body.agent}


@router.get("/api/campaigns", response_model=Items[CampaignOut])
async def list_campaigns(_user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        views = await AssignmentRepository(session).campaigns()
    return {"items": [campaign_json(v) for v in views]}


@router.put("/api/campaigns/{code}/agents", response_model=CampaignOut)
async def set_campaign_agents(code: CampaignCode, body: CampaignAgents, user: SupervisorUser,
                              services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        repo = AssignmentRepository(session)
        await ensure_campaign(session, services, code, field="code")
        view = await repo.set_campaign_agents(code, body.agents)
        AuditLog(session, user.id).record("assign", "campaign", code, details={"agents": view.agents})
    return campaign_json(view)
