"""Response schemas of the IVR's routes (issue 17): the wallboard's IVR panel. The Twilio route answers
TwiML and the prompts route a WAV file (declared on the routes). See :mod:`agent_ui.schemas.records`."""

from __future__ import annotations

from pydantic import Field

from agent_ui.schemas.records import IsoTime, MoneyText, Out


class HangupNodeOut(Out):
    node: str | None = Field(description="the menu step where callers hung up")
    count: int


class IvrPromisesOut(Out):
    count: int
    amount: MoneyText


class IvrPanelOut(Out):
    at: IsoTime
    in_ivr: int = Field(description="callers in the menu now")
    sessions_today: int
    self_served_today: int
    self_service_rate: float = Field(ge=0, le=1)
    hangup_nodes: list[HangupNodeOut]
    promises_today: IvrPromisesOut = Field(description="promises taken by the IVR today")
