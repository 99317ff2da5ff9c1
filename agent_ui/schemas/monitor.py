"""Response schemas of live monitoring (issue 22): one monitoring session, and the audit list."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agent_ui.schemas.records import IsoDay, IsoTime, Out

MonitorModeName = Literal["listen", "whisper", "barge"]
MonitorStatus = Literal["requested", "live", "failed", "ended"]


class MonitorSessionOut(Out):
    id: int
    request_id: str
    call_id: str
    mode: MonitorModeName
    status: MonitorStatus
    supervisor: str
    agent: str | None
    carrier: Literal["asterisk", "twilio"]
    device: str
    failure: str | None
    agent_notified: bool
    started_at: IsoTime
    ended_at: IsoTime | None


class MonitorSessionsOut(Out):
    from_: IsoDay = Field(alias="from")
    to: IsoDay
    items: list[MonitorSessionOut]
