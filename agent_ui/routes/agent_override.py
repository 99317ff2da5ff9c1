"""A supervisor forces an agent's state: ``PUT /api/agents/{username}/state``.

For what the carrier's events and the failover reconciliation miss (an agent left ringing or on a
call that is long gone): ``{"state": "ready"}``, ``{"state": "paused", "reason": CODE}`` or
``{"state": "logged_out"}``, whatever the agent's state is now. The change is written to presence,
sent to the carrier, pushed to the agent and the wallboard, and audited (``agent_state_forced``
with the state before and after). The wallboard's "Set ready" / "Log out" buttons call it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from agent_ui.deps import ServicesDep, SupervisorUser
from agent_ui.routes.agents import StateRequest, presence_of
from agent_ui.schemas.replies import AgentViewOut

router = APIRouter(prefix="/api", tags=["agents"])


@router.put("/agents/{username}/state", response_model=AgentViewOut)
async def force_agent_state(body: StateRequest, supervisor: SupervisorUser, services: ServicesDep,
                            username: str = Path(max_length=64)) -> dict[str, Any]:
    view = await presence_of(services).force(username, body.state, body.reason, actor=supervisor)
    return view.to_json()
