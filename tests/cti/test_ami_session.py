"""Sans-I/O AMI session: login, pending actions, EventList results, liveness with injected time."""

from __future__ import annotations

import pytest

from cti.ami.framing import AmiMessage, AmiParser
from cti.ami.session import ActionResult, AmiSession, SessionState
from domain.errors import CarrierUnavailable, ProtocolViolation
from tests.cti.ami_streams import INBOUND, fixture_bytes

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def action_id_of(data: bytes) -> str:
    (msg,) = AmiParser().feed(data)
    assert msg.action_id is not None
    return msg.action_id


def logged_in(now: float = 100.0) -> AmiSession:
    s = AmiSession("cti", "secret", ping_interval=5, dead_after=15)
    login = s.connection_made(now)
    assert b"Action: Login\r\n" in login
    assert b"Username: cti\r\n" in login
    out = s.receive_data(BANNER + f"Response: Success\r\nActionID: {action_id_of(login)}\r\n"
                         "Message: Authentication accepted\r\n\r\n".encode(), now)
    assert len(out) == 1
    assert isinstance(out[0], ActionResult)
    assert out[0].success
    assert s.state is SessionState.LOGGED_IN
    return s


def test_login_failure_and_sending_before_login() -> None:
    s = AmiSession("cti", "bad")
    with pytest.raises(CarrierUnavailable):
        s.send_action("Ping", {}, 0.0)
    login = s.connection_made(0.0)
    with pytest.raises(CarrierUnavailable):
        s.send_action("Originate", {"Channel": "PJSIP/1"}, 0.0)
    s.receive_data(f"Response: Error\r\nActionID: {action_id_of(login)}\r\nMessage: Authentication failed"
                   "\r\n\r\n".encode(), 1.0)
    assert s.state is SessionState.LOGIN_FAILED
    assert s.login_message == "Authentication failed"


def test_event_list_collected_until_complete_and_other_events_pass() -> None:
    s = logged_in()
    aid, data = s.send_action("CoreShowChannels", {}, 101.0)
    assert data.startswith(b"Action: CoreShowChannels\r\nActionID: ")
    stream = (
        f"Response: Success\r\nActionID: {aid}\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
        f"Event: CoreShowChannel\r\nActionID: {aid}\r\nChannel: PJSIP/1-1\r\nLinkedid: 1.1\r\n\r\n"
        "Event: Newchannel\r\nLinkedid: 2.1\r\n\r\n"
        f"Event: CoreShowChannel\r\nActionID: {aid}\r\nChannel: PJSIP/2-2\r\nLinkedid: 1.1\r\n\r\n"
        f"Event: CoreShowChannelsComplete\r\nActionID: {aid}\r\nEventList: Complete\r\nListItems: 2\r\n\r\n"
    ).encode()
    out = s.receive_data(stream, 102.0)
    assert len(out) == 2
    event, result = out
    assert isinstance(event, AmiMessage)
    assert event.event == "Newchannel"
    assert isinstance(result, ActionResult)
    assert [i["Channel"] for i in result.items] == ["PJSIP/1-1", "PJSIP/2-2"]
    assert result.complete is not None
    assert result.complete["ListItems"] == "2"
    assert s.pending == {}


def test_error_response_finishes_action_and_stray_responses_are_dropped() -> None:
    s = logged_in()
    aid, _ = s.send_action("QueueStatus", {"Queue": "nope"}, 101.0)
    out = s.receive_data(f"Response: Error\r\nActionID: {aid}\r\nMessage: No such queue\r\n\r\n"
                         "Response: Success\r\nActionID: not-ours\r\n\r\n".encode(), 102.0)
    assert len(out) == 1
    assert isinstance(out[0], ActionResult)
    assert (out[0].success, out[0].message) == (False, "No such queue")


def test_async_originate_response_event_passes_through_after_response() -> None:
    s = logged_in()
    aid, _data = s.send_action("Originate", {"Channel": "PJSIP/1001", "ChannelId": "sb-1", "Async": "true"},
                              101.0, action_id="sb-1")
    assert aid == "sb-1"
    stream = (
        b"Response: Success\r\nActionID: sb-1\r\nMessage: Originate successfully queued\r\n\r\n"
        b"Event: OriginateResponse\r\nActionID: sb-1\r\nResponse: Failure\r\nReason: 5\r\n\r\n"
    )
    out = s.receive_data(stream, 102.0)
    assert [type(o) for o in out] == [ActionResult, AmiMessage]
    assert isinstance(out[1], AmiMessage)
    assert out[1]["Reason"] == "5"


def test_injection_refused_and_nothing_pending() -> None:
    s = logged_in()
    with pytest.raises(ProtocolViolation):
        s.send_action("Originate", {"CallerID": "x\r\nAction: Hangup"}, 101.0)
    assert s.pending == {}


def test_ping_due_pong_and_dead_detection_with_injected_time() -> None:
    s = logged_in(now=100.0)
    assert not s.ping_due(104.9)
    assert s.next_deadline(100.0) == pytest.approx(5.0)
    assert s.ping_due(105.0)
    ping = s.make_ping(105.0)
    assert b"Action: Ping\r\n" in ping
    assert not s.ping_due(111.0)  # one ping outstanding at a time
    pong = f"Response: Success\r\nActionID: {action_id_of(ping)}\r\nPing: Pong\r\n\r\n".encode()
    assert s.receive_data(pong, 105.1) == []  # the Pong is consumed, not surfaced
    assert not s.is_dead(120.0)
    assert s.is_dead(120.1)  # no bytes for 15 s
    # bytes keep flowing but our Ping is never answered: dead too (half-open manager)
    s2 = logged_in(now=0.0)
    s2.make_ping(5.0)
    for t in range(6, 21):
        s2.receive_data(b"Event: Newexten\r\nLinkedid: 1\r\n\r\n", float(t))
    assert not s2.is_dead(19.9)
    assert s2.is_dead(20.0)


def test_disconnect_returns_pending_and_nothing_is_resent() -> None:
    s = logged_in()
    s.send_action("Originate", {"Channel": "PJSIP/1001", "ChannelId": "sb-77"}, 101.0, action_id="sb-77")
    s.send_action("QueueStatus", {}, 101.0)
    s.make_ping(106.0)
    lost = s.connection_lost()
    assert sorted((p.name, p.outcome_unknown) for p in lost) == [("Originate", True), ("QueueStatus", False)]
    assert s.state is SessionState.CLOSED
    assert s.pending == {}
    assert not s.is_dead(1000.0)
    again = s.connection_made(200.0)
    assert b"Originate" not in again
    assert next(iter(s.pending.values())).name == "Login"
    with pytest.raises(CarrierUnavailable):
        s.send_action("Originate", {}, 200.0)


def test_recorded_stream_through_session_yields_its_events() -> None:
    s = AmiSession("cti", "x")
    s.connection_made(0.0)
    data = fixture_bytes(INBOUND)
    out = []
    for i in range(0, len(data), 1000):
        out += s.receive_data(data[i : i + 1000], 1.0)
    events = [o for o in out if isinstance(o, AmiMessage)]
    assert len(events) == data.count(b"\nEvent: ")
    assert s.malformed_count == 0
    assert s.receive_data(b"no colon here\r\n\r\n", 2.0) == []
    assert s.malformed_count == 1
