"""Agent states and the wallboard snapshot.

``PUT /api/agents/me/state`` takes ``{"state": "ready"}`` or ``{"state": "paused", "reason": CODE}``
(or ``logged_out``); going ready adds the agent to their queues at the carrier, pausing is
QueuePause with the reason. ``GET /api/agents`` lists live states (supervisors). ``GET
/api/wallboard`` is the snapshot the wallboard starts from before the socket's live updates.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from agent_ui.deps import CurrentUser, ServicesDep, SupervisorUser
from agent_ui.schemas.replies import AgentViewOut, Items, WallboardOut
from agent_ui.services import Services, require
from live.presence import PresenceService

router = APIRouter(prefix="/api", tags=["agents"])


class StateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["ready", "paused", "logged_out"]
    reason: str | None = Field(default=None, max_length=64)


def presence_of(services: Services) -> PresenceService:
    return require(services.live, "live").presence


@router.put("/agents/me/state", response_model=AgentViewOut)
async def set_my_state(body: StateRequest, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    if body.state == "ready" and services.phone is not None:  # issue 20: ready needs a usable phone
        await services.phone.service.check_ready(user)
    view = await presence_of(services).request(user.username, body.state, body.reason)
    return view.to_json()


@router.get("/agents/me", response_model=AgentViewOut)
async def my_state(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return (await presence_of(services).view_of(user.username)).to_json()


@router.get("/agents", response_model=Items[AgentViewOut])
async def list_agents(_user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    return {"items": [view.to_json() for view in await presence_of(services).list_agents()]}


@router.get("/wallboard", response_model=WallboardOut)
async def wallboard(_user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    return await require(services.live, "live").wallboard.snapshot()
