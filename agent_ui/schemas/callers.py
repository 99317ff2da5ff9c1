"""The incoming search for a caller on a live call: bodies and answers (issue 15, item 2).

A caller who is not the agent's own customer is identified from the minimum: the name, the phone
masked but for its last three digits, the client ID and the last three characters of the
government ID. Picking one opens that customer for the call (a call-scoped grant).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from agent_ui.schemas.common import Body, DbId
from agent_ui.schemas.records import IsoTime, Out

CallId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[\w./:@-]+$")]


class CallerOut(Out):
    customer_id: int
    name: str
    phone_masked: str | None  # "+254*******678"
    client_id: str | None
    id_last3: str | None  # the last three characters of the government ID


class CallerSearchOut(Out):
    call_id: str
    items: list[CallerOut]


class CallerPick(Body):
    call_id: CallId
    customer_id: DbId


class CallerPickOut(Out):
    customer_id: int
    call_id: str
    access: Literal["call", "assigned", "role"]  # how the agent may open it now ("call": granted for it)
    until: IsoTime | None  # the end of the call-scoped grant; null when none was needed
