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
from agent_ui.live.presence import PresenceService
from agent_ui.live.wallboard import WallboardService
from agent_ui.services import Services
from domain.errors import SwitchboardError

router = APIRouter(prefix="/api", tags=["agents"])


class StateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["ready", "paused", "logged_out"]
    reason: str | None = Field(default=None, max_length=64)


def _presence(services: Services) -> PresenceService:
    presence = services.extras.get("presence")
    if not isinstance(presence, PresenceService):
        raise SwitchboardError("the live layer is not running")
    return presence


def _wallboard(services: Services) -> WallboardService:
    board = services.extras.get("wallboard")
    if not isinstance(board, WallboardService):
        raise SwitchboardError("the live layer is not running")
    return board


@router.put("/agents/me/state")
async def set_my_state(body: StateRequest, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    view = await _presence(services).request(user.username, body.state, body.reason)
    return view.to_json()


@router.get("/agents/me")
async def my_state(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return (await _presence(services).view_of(user.username)).to_json()


@router.get("/agents")
async def list_agents(_user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    return {"items": [view.to_json() for view in await _presence(services).list_agents()]}


@router.get("/wallboard")
async def wallboard(_user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    return await _wallboard(services).snapshot()
