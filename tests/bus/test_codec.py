"""The wire form of events (domain/events/codec.py): every registered type round-trips exactly."""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ProtocolViolation
from domain.events import EVENT_TYPES, AgentRinging, Direction, Event, decode_event, encode_event


def _strategy(hint: typing.Any) -> st.SearchStrategy[typing.Any]:
    if hint is datetime:
        return st.datetimes(timezones=st.just(UTC))
    return st.from_type(hint)


@st.composite
def events(draw: st.DrawFn) -> Event:
    cls = draw(st.sampled_from(sorted(EVENT_TYPES.values(), key=lambda c: c.type_name)))
    hints = typing.get_type_hints(cls)
    kwargs = {f.name: draw(_strategy(hints[f.name])) for f in dataclasses.fields(cls)}
    return cls(**kwargs)


@settings(max_examples=300, deadline=None)
@given(event=events())
def test_every_event_type_round_trips_through_json(event: Event) -> None:
    wire = json.loads(json.dumps(encode_event(event)))
    assert decode_event(wire) == event


def test_optional_and_tuple_fields_come_back_typed() -> None:
    ring = AgentRinging(call_id="c", device="PJSIP/1", member_name=None, queue=None, caller_number="1",
                        dialed_number="2", direction=Direction.INBOUND, ivr=("main:1", "pay:2"))
    back = decode_event(json.loads(json.dumps(encode_event(ring))))
    assert isinstance(back, AgentRinging)
    assert back.direction is Direction.INBOUND and back.ivr == ("main:1", "pay:2") and back.at == ring.at


@pytest.mark.parametrize("payload", [
    {}, {"type": "no.such"}, {"type": "call.ended"}, {"type": "call.ended", "data": {"call_id": "c"}},
    {"type": "call.ended", "data": {"call_id": "c", "cause": "eaten", "cause_code": 1}},
    {"type": "call.ended", "data": {"call_id": "c", "cause": "normal", "cause_code": 1, "at": "yesterday"}},
])
def test_a_bad_payload_is_a_protocol_violation(payload: dict[str, typing.Any]) -> None:
    with pytest.raises(ProtocolViolation):
        decode_event(payload)
