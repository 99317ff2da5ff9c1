"""Response schema of the one call log, ``GET /api/calls``: what a supervisor's row shows (times,
wait, talk and wrap-up, the agents it rang, the disposition and note, the campaign) and what the
desk's call log shows (the controls used on the call and its recordings)."""

from __future__ import annotations

from typing import Literal

from agent_ui.schemas.phone import ActionName, ActionOutcome, Carrier, RecordingOut
from agent_ui.schemas.records import CallDirection, IsoTime, Out

CallOutcome = Literal["answered", "abandoned", "missed"]


class DispositionOut(Out):
    status: str | None
    reason: str | None
    resolution: str | None


class CallActionOut(Out):
    """A control used on the call: hold, transfer, recording pause... (``requested`` until the PBX answers)."""

    at: IsoTime | None
    action: ActionName
    target: str | None
    outcome: ActionOutcome
    message: str | None  # why the PBX refused it


class CallLogItemOut(Out):
    call_id: str
    direction: CallDirection
    carrier: Carrier
    server: str | None
    queue: str | None
    campaign: str | None
    caller_number: str | None
    dialed_number: str | None
    offered_at: IsoTime
    answered_at: IsoTime | None
    ended_at: IsoTime | None
    wait_seconds: int | None
    talk_seconds: int | None
    wrapup_seconds: int | None
    outcome: CallOutcome
    cause: str | None
    agent: str | None
    rang: list[str]
    customer_id: int | None
    customer_name: str | None
    customer_url: str | None
    disposition: DispositionOut | None
    note_id: int | None
    note_url: str | None
    actions: list[CallActionOut]
    recordings: list[RecordingOut]  # those the viewer may play (none deleted)


class CallLogOut(Out):
    items: list[CallLogItemOut]
    next_cursor: str | None  # the next (older) page; None: this is the last
    limit: int
