"""Live monitoring's API (issue 22), supervisors and admins only (an agent gets 403).

* ``POST /api/monitor`` ``{"call_id", "mode": listen|whisper|barge}`` → 202 the session: the
  supervisor's phone rings and joins the call (the answer comes on the socket as ``monitor.status``);
  asking again with another mode replaces the session (the old leg is hung up).
* ``POST /api/monitor/{session_id}/stop`` → the session, ended (the supervisor's leg hung up).
* ``GET /api/monitor?call_id&from&to&limit`` → the audit: who monitored which call, in which mode,
  from when to when.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from agent_ui.components.monitor import monitor_service
from agent_ui.deps import ServicesDep, SupervisorUser, current_user
from agent_ui.routes.ranges import local_window
from agent_ui.schemas.common import Day
from agent_ui.schemas.monitor import MonitorSessionOut, MonitorSessionsOut
from domain.events import MonitorMode

router = APIRouter(tags=["monitoring"], dependencies=[Depends(current_user)])
CallIdQuery = Annotated[str | None, Query(min_length=1, max_length=80)]


class MonitorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(min_length=1, max_length=80)
    mode: Literal["listen", "whisper", "barge"] = "listen"


@router.post("/api/monitor", status_code=status.HTTP_202_ACCEPTED, response_model=MonitorSessionOut)
async def start_monitoring(body: MonitorBody, user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    return await monitor_service(services).start(user, body.call_id, MonitorMode(body.mode))


@router.post("/api/monitor/{session_id}/stop", response_model=MonitorSessionOut)
async def stop_monitoring(session_id: Annotated[int, Path(ge=1, le=2_147_483_647)], user: SupervisorUser,
                          services: ServicesDep) -> dict[str, Any]:
    return await monitor_service(services).stop(user, session_id)


@router.get("/api/monitor", response_model=MonitorSessionsOut)
async def monitoring_audit(user: SupervisorUser, services: ServicesDep, call_id: CallIdQuery = None,
                           since: Annotated[Day | None, Query(alias="from")] = None,
                           until: Annotated[Day | None, Query(alias="to")] = None,
                           limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    since, until, start, end = local_window(services, since, until, max_days=366)
    items = await monitor_service(services).sessions(call_id=call_id, since=start, until=end, limit=limit)
    return {"from": since.isoformat(), "to": until.isoformat(), "items": items}
