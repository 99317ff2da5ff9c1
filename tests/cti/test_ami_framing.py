"""AMI framing: recorded streams, any chunking, garbage, UTF-8 splits, linear time, injection."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cti.ami.framing import AmiMessage, AmiParser, encode_action
from domain.errors import ProtocolViolation
from tests.cti.ami_streams import INBOUND, ORIGINATE, all_fixture_names, fixture_bytes, shared_bytes


def parse_all(data: bytes) -> list[AmiMessage]:
    return AmiParser().feed(data)


def parse_chunked(data: bytes, cuts: list[int]) -> list[AmiMessage]:
    parser = AmiParser()
    out: list[AmiMessage] = []
    start = 0
    for cut in sorted(set(cuts)):
        out += parser.feed(data[start:cut])
        start = cut
    out += parser.feed(data[start:])
    assert parser.buffered == 0
    return out


@pytest.mark.parametrize("name", [INBOUND, ORIGINATE])
def test_shared_examples_equal_committed_copies(name: str) -> None:
    assert shared_bytes(name.removeprefix("shared-")) == fixture_bytes(name)


def test_inbound_stream_parses_every_message() -> None:
    data = fixture_bytes(INBOUND)
    msgs = parse_all(data)
    assert msgs[0].banner == "Asterisk Call Manager/11.0.0"
    assert msgs[1].response == "Success"
    assert msgs[1].action_id == "login-1"
    events = [m.event for m in msgs[2:] if m.event]
    assert len(events) == data.count(b"\nEvent: ") == 165
    assert events.count("VarSet") == 111
    assert not [m for m in msgs if m.malformed]
    called = next(m for m in msgs if m.event == "AgentCalled")
    assert called["Interface"] == "PJSIP/1003"
    assert called.get("MemberName") == "Agent 1003"
    assert called.get("memberNAME") == "Agent 1003"  # any case
    assert called.get("Nope") is None


def test_every_committed_fixture_parses_without_malformed() -> None:
    names = all_fixture_names()
    assert INBOUND in names
    assert ORIGINATE in names
    for name in names:
        msgs = parse_all(fixture_bytes(name))
        assert msgs[0].banner is not None, name
        assert all(m.malformed is None for m in msgs), name
        assert sum(1 for m in msgs if m.event) >= 5, name


def test_repeated_keys_colons_in_values_and_empty_values() -> None:
    raw = (
        b"Event: Newchannel\r\nChanVariable: A=1\r\nChanVariable: B=2\r\n"
        b"EventTV: 2026-11-22T05:52:41.468+0000\r\nAccountCode: \r\nAppData: a:b: c\r\n\r\n"
    )
    (msg,) = parse_all(raw)
    assert msg.getall("ChanVariable") == ["A=1", "B=2"]
    assert msg["ChanVariable"] == "A=1"
    assert msg["EventTV"] == "2026-11-22T05:52:41.468+0000"
    assert msg["AppData"] == "a:b: c"
    assert msg["AccountCode"] == ""
    assert list(msg) == ["Event", "ChanVariable", "EventTV", "AccountCode", "AppData"]


def test_bare_lf_and_mixed_line_ends() -> None:
    raw = b"Event: A\nX: 1\n\nEvent: B\r\nY: 2\n\r\nEvent: C\r\nZ: 3\r\n\n"
    msgs = parse_all(raw)
    assert [(m.event, dict(m)) for m in msgs] == [
        ("A", {"Event": "A", "X": "1"}),
        ("B", {"Event": "B", "Y": "2"}),
        ("C", {"Event": "C", "Z": "3"}),
    ]


def test_banner_split_across_reads_and_no_banner() -> None:
    parser = AmiParser()
    assert parser.feed(b"Asterisk Call") == []
    msgs = parser.feed(b" Manager/11.0.0\r\nResponse: Success\r\n\r\n")
    assert msgs[0].banner == "Asterisk Call Manager/11.0.0"
    assert parser.banner == msgs[0].banner
    assert msgs[1].response == "Success"
    (only,) = AmiParser().feed(b"Event: X\r\n\r\n")
    assert only.event == "X"


def test_utf8_name_split_across_reads_kept_exact() -> None:
    raw = "Event: Newchannel\r\nCallerIDName: Zoë Wanjirũ\r\n\r\n".encode()
    split = raw.index("ë".encode()) + 1  # between the two bytes of "ë"
    parser = AmiParser()
    assert parser.feed(raw[:split]) == []
    (msg,) = parser.feed(raw[split:])
    assert msg["CallerIDName"] == "Zoë Wanjirũ"
    for cut in range(1, len(raw)):  # every split point, byte by byte too
        assert parse_chunked(raw, [cut])[0]["CallerIDName"] == "Zoë Wanjirũ"


def test_invalid_utf8_is_replaced_not_raised() -> None:
    (msg,) = parse_all(b"Event: X\r\nName: Zo\xff\xfe\r\n\r\n")
    assert msg["Name"] == "Zo\ufffd\ufffd"


def test_malformed_message_is_marked_and_parsing_continues() -> None:
    raw = b"garbage without colon\r\n\r\nEvent: Ok\r\nbad line\r\nK: v\r\n\r\nEvent: Next\r\n\r\n"
    first, second, third = parse_all(raw)
    assert first.malformed is not None
    assert len(first) == 0
    assert second.event == "Ok"
    assert second["K"] == "v"
    assert second.malformed == "1 line(s) without ':' dropped"
    assert third.event == "Next"
    assert third.malformed is None


def test_oversize_message_is_dropped_and_parser_resyncs() -> None:
    parser = AmiParser(max_message_bytes=1000)
    out = parser.feed(b"Event: Big\r\nData: " + b"x" * 600)
    assert out == []
    out = parser.feed(b"y" * 600)  # now 1200+ bytes without a blank line
    assert len(out) == 1
    assert out[0].malformed is not None
    assert "exceeds" in out[0].malformed
    assert parser.buffered <= 2
    out = parser.feed(b"z" * 5000 + b"\r\n\r\nEvent: After\r\n\r\n")
    assert [m.event for m in out] == ["After"]
    # a complete oversize message inside one read is rejected too
    out = AmiParser(max_message_bytes=100).feed(b"Event: A\r\nD: " + b"q" * 200 + b"\r\n\r\nEvent: B\r\n\r\n")
    assert out[0].malformed is not None
    assert out[1].event == "B"


def _big_message(size: int) -> bytes:
    line = b"ChanVariable: X=" + b"v" * 60 + b"\r\n"
    return b"Event: Big\r\n" + line * (size // len(line)) + b"\r\n"


def _parse_time(data: bytes, chunk: int = 4096) -> tuple[float, AmiParser]:
    best = float("inf")
    parser = AmiParser()
    for _ in range(5):
        parser = AmiParser()
        t0 = time.perf_counter()
        out = []
        for i in range(0, len(data), chunk):
            out += parser.feed(data[i : i + chunk])
        n_fields = len(out[0].fields)  # parse every header line too
        best = min(best, time.perf_counter() - t0)
        assert n_fields == len(data) // 78 + 1
        assert len(out) == 1
        assert out[0].event == "Big"
    return best, parser


def test_five_megabyte_message_parses_in_linear_time() -> None:
    one, five = _big_message(1_000_000), _big_message(5_000_000)
    _t1, p1 = _parse_time(one)
    _t5, p5 = _parse_time(five)
    # Linear by operation count, not by the clock (wall time is for bench/): the separator search
    # never re-reads the buffer, so bytes searched stay ~ bytes fed (quadratic would be ~600x).
    assert p1.scanned <= len(one) + 2 * (len(one) // 4096 + 1)
    assert p5.scanned <= len(five) + 2 * (len(five) // 4096 + 1)
    assert p5.scanned / p1.scanned < 5.5


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from([INBOUND, ORIGINATE]))
def test_any_chunking_of_real_stream_gives_the_same_messages(data: st.DataObject, name: str) -> None:
    raw = fixture_bytes(name)
    whole = parse_all(raw)
    cuts = data.draw(st.lists(st.integers(min_value=1, max_value=len(raw) - 1), max_size=300))
    assert parse_chunked(raw, cuts) == whole


@settings(max_examples=300, deadline=None)
@given(chunks=st.lists(st.binary(max_size=300), max_size=20))
def test_garbage_never_raises_and_parser_recovers(chunks: list[bytes]) -> None:
    parser = AmiParser(max_message_bytes=2048)
    for chunk in chunks:
        for msg in parser.feed(chunk):
            assert isinstance(msg, AmiMessage)
    out = parser.feed(b"\r\n\r\nEvent: Sentinel\r\nK: v\r\n\r\n")
    assert out
    assert out[-1].event == "Sentinel"
    assert out[-1]["K"] == "v"


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200), cut=st.integers(min_value=0, max_value=2000))
def test_any_unicode_value_survives_any_split(text: str, cut: int) -> None:
    value = text.replace("\r", "").replace("\n", "").strip(" ")
    raw = f"Event: U\r\nName: {value}\r\n\r\n".encode()
    (msg,) = parse_chunked(raw, [min(max(cut, 1), len(raw) - 1)])
    assert msg["Name"] == value


def test_encode_action_and_injection_refused() -> None:
    data = encode_action("Originate", {"Channel": "PJSIP/1001", "ChannelId": "sb-1"}, "a-1")
    assert data == b"Action: Originate\r\nActionID: a-1\r\nChannel: PJSIP/1001\r\nChannelId: sb-1\r\n\r\n"
    pairs = encode_action("Originate", [("Variable", "A=1"), ("Variable", "B=2")], "a-2")
    assert pairs.count(b"Variable: ") == 2
    for bad in ("x\r\nAction: Hangup", "x\nChannel: y", "x\r"):
        with pytest.raises(ProtocolViolation):
            encode_action("Originate", {"CallerID": bad}, "a-3")
    with pytest.raises(ProtocolViolation):
        encode_action("Ping\r\nAction: Logoff", {}, "a-4")
    with pytest.raises(ProtocolViolation):
        encode_action("Ping", {}, "id\n")
    with pytest.raises(ProtocolViolation):
        encode_action("Ping", {"Bad:Key": "v"}, "a-5")
    with pytest.raises(ProtocolViolation):
        encode_action("Ping", {"ActionID": "other"}, "a-6")
    # what we encode, we parse back
    (msg,) = parse_all(encode_action("QueuePause", {"Reason": "Zoë: lunch"}, "a-7"))
    assert msg["Action"] == "QueuePause"
    assert msg["Reason"] == "Zoë: lunch"
    assert msg.action_id == "a-7"
