"""Our sans-I/O FastAGI layer, byte by byte: the cases panoramisk 1.4 gets wrong included."""

from __future__ import annotations

import pytest

from domain.errors import ProtocolViolation
from ivr.agi.protocol import AgiEnvironment, AgiHangup, AgiParser, AgiReply, encode_command, parse_reply

ENV = (b"agi_network: yes\nagi_network_script: ivr?menu=main\nagi_request: agi://127.0.0.1:4573/ivr?menu=main\n"
       b"agi_channel: PJSIP/trunk-00000001\nagi_language: en\nagi_uniqueid: 1733500000.1\n"
       b"agi_callerid: 0712345678\nagi_arg_1: main\nagi_arg_2: extra words\n\n")


def test_environment_script_query_and_arguments() -> None:
    [env] = AgiParser().feed(ENV)
    assert isinstance(env, AgiEnvironment)
    assert env.script == "ivr" and env.query == {"menu": "main"} and env.args == ["main", "extra words"]
    assert env.caller == "0712345678" and env.get("agi_uniqueid") == "1733500000.1"


def test_environment_split_anywhere_including_inside_a_character() -> None:
    data = ENV.replace(b"extra words", "maneno ya ziada \u00e9".encode())
    parser = AgiParser()
    out = []
    for i in range(len(data)):
        out += parser.feed(data[i:i + 1])
    [env] = out
    assert isinstance(env, AgiEnvironment) and env.args[1] == "maneno ya ziada \u00e9"


@pytest.mark.parametrize(("line", "expected"), [
    ("200 result=0 endpos=11840", AgiReply(200, "0", None, 11840)),
    ("200 result=49 endpos=2400", AgiReply(200, "49", None, 2400)),
    ("200 result=123 (timeout)", AgiReply(200, "123", "timeout", None)),
    ("200 result= (timeout)", AgiReply(200, "", "timeout", None)),
    ("200 result=1 (1733500000.12)", AgiReply(200, "1", "1733500000.12", None)),
    ("200 result=1 (a value (with) parentheses)", AgiReply(200, "1", "a value (with) parentheses", None)),
    ("200 result=-1", AgiReply(200, "-1", None, None)),
    ("200 result=-1 endpos=0", AgiReply(200, "-1", None, 0)),
    ("510 Invalid or unknown command", AgiReply(510, None, None, None)),
    ("511 Command Not Permitted on a dead channel or intercept routine", AgiReply(511, None, None, None)),
])
def test_replies(line: str, expected: AgiReply) -> None:
    reply = parse_reply(line)
    assert (reply.code, reply.result, reply.data, reply.endpos) == (
        expected.code, expected.result, expected.data, expected.endpos)


def test_reply_meanings() -> None:
    assert parse_reply("200 result=49 endpos=2400").digit == "1"
    assert parse_reply("200 result=35").digit == "#" and parse_reply("200 result=42").digit == "*"
    assert parse_reply("200 result=0").digit is None and parse_reply("200 result=0 endpos=0").digit is None
    assert parse_reply("200 result=-1").channel_gone and parse_reply("511 Command Not Permitted").channel_gone
    assert not parse_reply("200 result=0 endpos=8000").channel_gone
    assert parse_reply("200 result=123 (timeout)").timed_out


def test_hangup_line_is_never_a_reply() -> None:
    parser = AgiParser()
    parser.feed(ENV)
    assert parser.feed(b"HANGUP\n200 result=-1\n") == [AgiHangup(), parse_reply("200 result=-1")]


def test_usage_reply_is_one_reply() -> None:
    parser = AgiParser()
    parser.feed(ENV)
    out = parser.feed(b"520-Invalid command syntax.  Proper usage follows:\n Usage: STREAM FILE <filename>\n")
    assert out == []
    [reply] = parser.feed(b"520 End of proper usage.\n200 result=0 endpos=1\n")[:1]
    assert reply.code == 520 and "Usage: STREAM FILE" in reply.text  # type: ignore[union-attr]


def test_garbage_and_floods_are_protocol_violations() -> None:
    parser = AgiParser()
    parser.feed(ENV)
    with pytest.raises(ProtocolViolation):
        parser.feed(b"hello there\n")
    with pytest.raises(ProtocolViolation):
        AgiParser().feed(b"x" * 20000)
    with pytest.raises(ProtocolViolation):
        AgiParser().feed(b"agi_x: " + b"y" * 1000 + b"\n" * 1 + b"".join(b"k%d: v\n" % i for i in range(8000)))
    with pytest.raises(ProtocolViolation):
        AgiParser().feed(b"\n")  # an empty environment


def test_commands_are_quoted_and_injection_is_refused() -> None:
    assert encode_command("STREAM FILE", "switchboard/en/greeting", "0123456789*#") == (
        b"STREAM FILE switchboard/en/greeting 0123456789*#\n")
    assert encode_command("STREAM FILE", "x", "") == b'STREAM FILE x ""\n'
    assert encode_command("VERBOSE", 'say "hi" now', "1") == b'VERBOSE "say \\"hi\\" now" 1\n'
    with pytest.raises(ProtocolViolation):
        encode_command("SET VARIABLE", "SWITCHBOARD_QUEUE", "collections\nHANGUP")
