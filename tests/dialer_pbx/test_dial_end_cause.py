"""The cause of an originated (agent-first) call whose customer leg rang out or was busy, from the
AMI messages the test PBX really sends (recorded; sans-I/O, no socket).

Asterisk hangs up both legs with ``Cause: 0`` ("Unknown") when Dial's ring timeout runs out; only
``DialEnd`` (``DialStatus: NOANSWER``) says the customer did not answer. Without it the dialer
would count a no-answer as a failed call and retry it on the wrong policy.
"""

from __future__ import annotations

import pytest

from cti.ami.calltable import CallTable
from cti.ami.framing import AmiMessage
from cti.ami.normaliser import normalise
from domain.events import CallEnded, EndCause, Event

CALL, CUSTOMER = "sb-x1", "1795330718.33"


def msg(event: str, **fields: str) -> AmiMessage:
    return AmiMessage([("Event", event), *fields.items()])


def originate(dial_status: str, cause: str) -> list[AmiMessage]:
    agent = {"Channel": "PJSIP/1001-00000020", "Uniqueid": CALL, "Linkedid": CALL}
    customer = {"Channel": "PJSIP/trunk-00000021", "Uniqueid": CUSTOMER, "Linkedid": CALL}
    return [
        msg("Newchannel", ChannelState="0", **agent),
        msg("DialBegin", DestUniqueid=CALL),  # Originate's own "dial" of the agent: no Linkedid
        msg("Newstate", ChannelState="5", **agent),
        msg("Newstate", ChannelState="6", **agent),
        msg("OriginateResponse", ActionID=f"orig-{CALL}", Response="Success", Reason="4", Uniqueid=CALL),
        msg("DialEnd", DestUniqueid=CALL, DialStatus="ANSWER"),
        msg("Newchannel", ChannelState="0", **customer),
        msg("DialBegin", DestUniqueid=CUSTOMER, **agent),
        msg("Newstate", ChannelState="5", **customer),
        msg("DialEnd", DestUniqueid=CUSTOMER, DialStatus=dial_status, **agent),
        msg("Hangup", Cause=cause, **customer),
        msg("Hangup", Cause=cause, **agent),
    ]


@pytest.mark.parametrize(("dial_status", "cause", "expected"), [
    ("NOANSWER", "0", EndCause.NO_ANSWER),   # the ring timeout: Cause 0 on both legs
    ("BUSY", "17", EndCause.BUSY),
    ("CHANUNAVAIL", "0", EndCause.FAILED),
    ("CONGESTION", "34", EndCause.FAILED),
])
def test_dial_end_names_the_cause_the_hangup_does_not(dial_status: str, cause: str, expected: EndCause) -> None:
    table = CallTable()
    table.register_originate(CALL, action_id=f"orig-{CALL}", customer_number="0712345678",
                             agent_device="PJSIP/1001", caller_id=None)
    events: list[Event] = []
    for message in originate(dial_status, cause):
        events += normalise(table, message, "default")
    [ended] = [e for e in events if isinstance(e, CallEnded)]
    assert (ended.call_id, ended.cause, ended.cause_code) == (CALL, expected, int(cause))


def test_a_hangup_cause_still_wins_over_the_dial_status() -> None:
    """A real Q.850 cause on the customer's hangup (here: busy) is kept; DialEnd only fills a gap."""
    table = CallTable()
    table.register_originate(CALL, action_id=None, customer_number="0712345678", agent_device="PJSIP/1001",
                             caller_id=None)
    events: list[Event] = []
    for message in originate("NOANSWER", "17"):
        events += normalise(table, message, "default")
    [ended] = [e for e in events if isinstance(e, CallEnded)]
    assert ended.cause == EndCause.BUSY
