"""The process log (runtime/logging.py): one configuration, text or JSON, with the worker id, the
call id and agent where they apply, and nothing secret or personal (runtime/redact.py)."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bus.memory import InProcessBus
from domain.events import AgentStateRequested, CallEnded, EndCause
from runtime.logging import ContextFilter, log_context, logging_config
from runtime.redact import redact
from runtime.supervisor import TaskSupervisor


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The process logging as ``switchboard serve`` sets it (JSON), into a buffer."""
    buffer = io.StringIO()
    config = logging_config("json", "DEBUG", "w-test-1")
    config["handlers"]["stderr"]["stream"] = buffer
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logging.config.dictConfig(config)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_json_lines_carry_the_worker_and_extras(captured: io.StringIO) -> None:
    logging.getLogger("bus.lease").info("lease %s acquired by %s", "ami:default", "w-test-1",
                                        extra={"lease": "ami:default"})
    [line] = lines(captured)
    assert line["level"] == "INFO" and line["logger"] == "bus.lease" and line["worker"] == "w-test-1"
    assert line["msg"] == "lease ami:default acquired by w-test-1"
    assert line["lease"] == "ami:default"
    assert "call_id" not in line and "agent" not in line


def test_call_id_and_agent_from_the_context_or_extra(captured: io.StringIO) -> None:
    log = logging.getLogger("cti.ami.bridge")
    with log_context(call_id="default/1765012345.12", agent="agent1"):
        log.warning("inside")
    log.info("explicit", extra={"call_id": "sb-4f0c", "agent": "agent2"})
    log.info("outside")
    inside, explicit, outside = lines(captured)
    assert (inside["call_id"], inside["agent"]) == ("default/1765012345.12", "agent1")
    assert (explicit["call_id"], explicit["agent"]) == ("sb-4f0c", "agent2")
    assert "call_id" not in outside


async def test_bus_handlers_log_with_their_events_call_id_and_agent(captured: io.StringIO) -> None:
    supervisor = TaskSupervisor()
    bus = InProcessBus(supervisor)
    log = logging.getLogger("live.test")

    async def on_ended(ev: CallEnded) -> None:
        log.info("call over")

    async def on_state(ev: AgentStateRequested) -> None:
        log.info("state asked")

    bus.subscribe(CallEnded, on_ended, group="t1")
    bus.subscribe(AgentStateRequested, on_state, group="t2")
    await bus.start()
    await bus.publish(CallEnded(call_id="default/1.2", cause=EndCause.NORMAL, cause_code=16))
    await bus.publish(AgentStateRequested(username="agent3", device="PJSIP/1003", state="ready", reason=None,
                                          queues=(), carrier="asterisk"))
    await bus.stop()
    await supervisor.stop()
    by_msg = {str(line["msg"]): line for line in lines(captured)}
    assert by_msg["call over"]["call_id"] == "default/1.2"
    assert by_msg["state asked"]["agent"] == "agent3" and "call_id" not in by_msg["state asked"]


def test_text_format_is_one_readable_line(captured: io.StringIO) -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(ContextFilter("w-a"))
    handler.setFormatter(logging_config("text")["formatters"]["switchboard"]["()"]())
    log = logging.getLogger("text.test")
    log.addHandler(handler)
    try:
        with log_context(call_id="default/9.1"):
            log.warning("caller %s waited", "+254712345678")
    finally:
        log.removeHandler(handler)
    text = buffer.getvalue().strip()
    assert " WARNING [w-a] text.test: caller +254******678 waited  call_id=default/9.1" in text
    assert "\n" not in text


def test_uvicorn_access_lines_lose_the_socket_token(captured: io.StringIO) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudDEifQ.c2lnbmF0dXJlLXNpZw"
    # the way uvicorn logs a request and a WebSocket (its message and args)
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                                             f"/ws?token={token}&after_seq=4", "1.1", 101)
    logging.getLogger("uvicorn.error").info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5000",
                                            f"/ws?token={token}")
    text = captured.getvalue()
    assert token not in text and token[:20] not in text
    assert text.count("token=[redacted]") == 2


def test_exceptions_are_redacted_too(captured: io.StringIO) -> None:
    try:
        raise ValueError("bad login password=agent1-pass for 0712345678")
    except ValueError:
        logging.getLogger("x").exception("failed")
    [line] = lines(captured)
    assert "agent1-pass" not in str(line["exc"]) and "0712345678" not in str(line["exc"])
    assert "ValueError" in str(line["exc"])


@pytest.mark.parametrize(("raw", "shown"), [
    ("caller +254712345678 rang", "caller +254******678 rang"),
    ("caller=0712345678", "caller=071****678"),
    ("guarantor 0722 000 111.", "guarantor 072****111."),
    ("+1 212 555 0142", "+121*****142"),
    ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"),
    ('{"password": "agent1-pass"}', '{"password": "[redacted]"}'),
    ("secret=switchboard-test&x=1", "secret=[redacted]&x=1"),
    ("PIN: 4321", "PIN: [redacted]"),
    ("pin_digits=1234", "pin_digits=[redacted]"),
])
def test_redacted(raw: str, shown: str) -> None:
    assert redact(raw) == shown


@pytest.mark.parametrize("kept", [
    "call default/1765012345.12 ended",  # Asterisk call ids
    "took over 1765012345678-0 in sb:ev:call.ended",  # Redis stream ids
    "dial sb-1234567890123456abcdef0123456789 sent",  # our dial ids (hex)
    "at 2026-12-06 10:00:00.123 for 12.5 s",  # dates, times, durations
    "AMI default: logged in (127.0.0.1:5038)",
    "ping 5 s, ping_interval=1",
])
def test_not_redacted(kept: str) -> None:
    assert redact(kept) == kept


@given(local=st.from_regex(r"0[17][0-9]{8}", fullmatch=True),
       before=st.sampled_from(["", "caller ", "n=", "(", "number: "]),
       after=st.sampled_from(["", " rang", ")", ".", ", then"]))
def test_no_kenyan_number_survives_whole(local: str, before: str, after: str) -> None:
    e164 = "+254" + local[1:]
    for number in (local, e164, e164[1:]):
        out = redact(f"{before}{number}{after}")
        assert number not in out and number[-3:] in out
