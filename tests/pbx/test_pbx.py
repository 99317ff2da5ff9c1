"""Integration tests of the loopback test PBX itself (real Asterisk, real sipp phones).

AMI is spoken over plain asyncio sockets (tests/pbx/record_ami.AmiConn).
"""

from __future__ import annotations

import time

import pytest

from tests.pbx.harness import DID_DIRECT, DID_IVR, Pbx
from tests.pbx.record_ami import AmiConn

pytestmark = pytest.mark.pbx

CUSTOMER = "0712345678"


async def _ami() -> AmiConn:
    conn = AmiConn()
    banner = await conn.connect()
    assert banner.startswith("Asterisk Call Manager/"), banner
    await conn.login()
    return conn


async def test_boots_and_ami_answers(pbx_clean: Pbx) -> None:
    ami = await _ami()
    try:
        resp = await ami.action("Ping")
        assert resp["Response"] == "Success"
        assert resp.get("Ping") == "Pong"
        # least privilege: write has no 'command' class
        denied = await ami.action("Command", Command="core show version")
        assert denied["Response"] == "Error"
    finally:
        await ami.close()


async def test_wrong_secret_is_refused(pbx: Pbx) -> None:
    ami = AmiConn()
    await ami.connect()
    with pytest.raises(PermissionError):
        await ami.login(secret="not-the-secret")
    await ami.close()


async def test_queue_call_rings_dynamic_member(pbx_clean: Pbx, phones) -> None:
    agent = phones.agent(1001, calls=1)
    ami = await _ami()
    try:
        added = await ami.action(
            "QueueAdd", Queue="collections", Interface="PJSIP/1001", MemberName="Agent 1001", Paused="false"
        )
        assert added["Response"] == "Success", added
        call = phones.customer_call(CUSTOMER, DID_DIRECT, hold_seconds=1.5)
        called = await ami.wait_event("AgentCalled", within=15)
        assert called["Interface"] == "PJSIP/1001"
        assert called["Queue"] == "collections"
        assert called["CallerIDNum"] == CUSTOMER
        connect = await ami.wait_event("AgentConnect", within=15)
        assert connect["Linkedid"] == called["Linkedid"]
        await ami.wait_event("AgentComplete", within=15)
        call.check(15)
        agent.check(15)
        assert "INVITE sip:1001@127.0.0.1:5010" in agent.messages()
    finally:
        await ami.close()


async def test_ivr_digit_routes_and_is_announced(pbx_clean: Pbx, phones) -> None:
    agent = phones.agent(1002, calls=1)
    ami = await _ami()
    try:
        await ami.action("QueueAdd", Queue="customer_service", Interface="PJSIP/1002")
        call = phones.customer_call(CUSTOMER, DID_IVR, digit="2", hold_seconds=1)
        choice = await ami.wait_event("UserEvent", within=15, UserEvent="IvrChoice")
        assert (choice["Digit"], choice["Menu"], choice["Queue"]) == ("2", "main", "customer_service")
        called = await ami.wait_event("AgentCalled", within=15)
        assert (called["Queue"], called["Interface"]) == ("customer_service", "PJSIP/1002")
        call.check(20)
        agent.check(15)
    finally:
        await ami.close()


async def test_abandon_before_answer(pbx_clean: Pbx, phones) -> None:
    ami = await _ami()
    try:
        call = phones.customer_call(CUSTOMER, DID_DIRECT, scenario="uac_abandon", hold_seconds=1)
        joined = await ami.wait_event("QueueCallerJoin", within=10)
        abandon = await ami.wait_event("QueueCallerAbandon", within=15)
        assert abandon["Uniqueid"] == joined["Uniqueid"]
        call.check(10)
    finally:
        await ami.close()


async def test_abandon_while_agent_rings_then_next_call(pbx_clean: Pbx, phones) -> None:
    agent = phones.agent(1001, calls=2)  # the same phone takes the CANCEL and the next call
    ami = await _ami()
    try:
        await ami.action("QueueAdd", Queue="collections", Interface="PJSIP/1001")
        first = phones.customer_call(CUSTOMER, DID_DIRECT, scenario="uac_abandon", hold_seconds=0.4)
        await ami.wait_event("QueueCallerAbandon", within=15)
        first.check(10)
        second = phones.customer_call("0722000111", DID_DIRECT, hold_seconds=1, local_port=5071)
        connect = await ami.wait_event("AgentConnect", within=15)
        assert connect["CallerIDNum"] == "0722000111"
        second.check(15)
        agent.check(15)
        assert "SIP/2.0 487 Request Terminated" in agent.messages()
    finally:
        await ami.close()


async def test_originate_reaches_customer_uas(pbx_clean: Pbx, phones) -> None:
    customer = phones.customer_uas("uas_answer_hangup", hold_seconds=1, calls=1)
    agent = phones.agent(1001, calls=1)
    ami = await _ami()
    try:
        resp = await ami.action(
            "Originate",
            Channel="PJSIP/1001",
            Application="Dial",
            Data=f"PJSIP/{CUSTOMER}@trunk,30",
            Async="true",
            CallerID=f"<{CUSTOMER}>",
            ChannelId="test-c2c-1",
        )
        assert resp["Response"] == "Success", resp
        orig = await ami.wait_event("OriginateResponse", within=15)
        assert orig["Response"] == "Success"
        assert orig["Uniqueid"] == "test-c2c-1"
        dial_end = await ami.wait_event("DialEnd", within=15, DialStatus="ANSWER", Linkedid="test-c2c-1")
        assert dial_end["DestChannel"].startswith("PJSIP/trunk-")
        customer.check(15)
        agent.check(15)
        assert f"INVITE sip:{CUSTOMER}@127.0.0.1:5080" in customer.messages()
    finally:
        await ami.close()


async def test_originate_via_dialplan_context(pbx_clean: Pbx, phones) -> None:
    customer = phones.customer_uas("uas_answer_hangup", hold_seconds=1, calls=1)
    phones.agent(1003, calls=1)
    ami = await _ami()
    try:
        await ami.action(
            "Originate",
            Channel="PJSIP/1003",
            Context="from-internal",
            Exten=CUSTOMER,
            Priority="1",
            Async="true",
            CallerID=f"<{CUSTOMER}>",
            ChannelId="test-c2c-3",
        )
        end = await ami.wait_event("DialEnd", within=15, Linkedid="test-c2c-3", Exten=CUSTOMER)
        assert end["DialStatus"] == "ANSWER"
        customer.check(15)
        assert 'From: "Switchboard" <sip:0800123456@' in customer.messages()
    finally:
        await ami.close()


async def test_originate_busy_customer(pbx_clean: Pbx, phones) -> None:
    customer = phones.customer_uas("uas_busy", calls=1)
    phones.agent(1001, calls=1)
    ami = await _ami()
    try:
        await ami.action(
            "Originate",
            Channel="PJSIP/1001",
            Application="Dial",
            Data=f"PJSIP/{CUSTOMER}@trunk,30",
            Async="true",
            ChannelId="test-c2c-2",
        )
        end = await ami.wait_for(
            lambda m: m.get("Event") == "DialEnd" and m.get("DestChannel", "").startswith("PJSIP/trunk-"),
            within=15,
        )
        assert end["DialStatus"] == "BUSY"
        assert end["Linkedid"] == "test-c2c-2"
        customer.check(10)
    finally:
        await ami.close()


async def test_kill_and_restart(pbx: Pbx) -> None:
    ami = await _ami()
    pbx.kill()
    with pytest.raises((ConnectionError, OSError, TimeoutError)):
        await ami.wait_for(lambda m: False, within=5)
    assert not pbx.is_running()
    t0 = time.monotonic()
    pbx.start()
    assert time.monotonic() - t0 < 20
    ami2 = await _ami()
    try:
        assert (await ami2.action("Ping"))["Response"] == "Success"
    finally:
        await ami2.close()
    pbx.restart()
    assert pbx.is_running()
