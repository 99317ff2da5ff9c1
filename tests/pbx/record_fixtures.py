"""Record the AMI fixtures in tests/fixtures/ami/ from the project's own test PBX.

Run as root:  .venv/bin/python -m tests.pbx.record_fixtures [--only NAME]
Starts the PBX if needed. Each file is the raw byte stream one AMI connection received:
banner, login response, every event (only TestEvent is filtered) and the responses to
the actions that scenario sent on the same connection (QueueAdd, Originate, ...).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from tests.pbx.harness import DID_DIRECT, DID_IVR, Pbx, agent_phone, customer_call, customer_phone_uas
from tests.pbx.record_ami import AmiConn

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "ami"
CUSTOMER = "0712345678"


async def _add(ami: AmiConn, ext: int, queue: str = "collections", paused: str = "false") -> None:
    resp = await ami.action(
        "QueueAdd", Queue=queue, Interface=f"PJSIP/{ext}", MemberName=f"Agent {ext}", Paused=paused
    )
    assert resp.get("Response") == "Success", resp


async def _remove(ami: AmiConn, ext: int, queue: str = "collections") -> None:
    await ami.action("QueueRemove", Queue=queue, Interface=f"PJSIP/{ext}")


async def inbound_ivr_answered(ami: AmiConn) -> None:
    """0712345678 calls 0800123456, presses 1, agent 1001 answers, customer hangs up."""
    await _add(ami, 1001)
    with agent_phone(1001, calls=1) as agent:
        call = customer_call(CUSTOMER, DID_IVR, digit="1", hold_seconds=3)
        await ami.wait_event("AgentComplete", within=30)
        call.check(15)
        agent.check(15)
    await ami.drain(1)
    await _remove(ami, 1001)


async def inbound_abandoned(ami: AmiConn) -> None:
    """0712345678 calls 0800123457 while nobody is in the queue, hangs up (CANCEL) after 3 s."""
    call = customer_call(CUSTOMER, DID_DIRECT, scenario="uac_abandon", hold_seconds=3)
    await ami.wait_event("QueueCallerAbandon", within=20)
    call.check(15)
    await ami.drain(1)


async def _originate(ami: AmiConn, channel_id: str) -> None:
    resp = await ami.action(
        "Originate",
        Channel="PJSIP/1001",
        Application="Dial",
        Data=f"PJSIP/{CUSTOMER}@trunk,30",
        CallerID=f'"{CUSTOMER}" <{CUSTOMER}>',
        Timeout="30000",
        Async="true",
        ChannelId=channel_id,
        OtherChannelId=f"{channel_id}-customer",
    )
    assert resp.get("Response") == "Success", resp
    await ami.wait_event("OriginateResponse", within=20)
    await ami.wait_event("Hangup", within=30, Uniqueid=channel_id)


async def originate_answered(ami: AmiConn) -> None:
    """Click-to-call: agent 1001 answers, then the customer UAS answers and hangs up after 3 s."""
    with (
        customer_phone_uas("uas_answer_hangup", hold_seconds=3, calls=1) as customer,
        agent_phone(1001, calls=1) as agent,
    ):
        await _originate(ami, "c2c-0001-agent")
        customer.check(15)
        agent.check(15)
    await ami.drain(1)


async def originate_busy(ami: AmiConn) -> None:
    """Click-to-call: agent 1001 answers, the customer's phone answers 486 Busy Here."""
    with customer_phone_uas("uas_busy", calls=1) as customer, agent_phone(1001, calls=1) as agent:
        await _originate(ami, "c2c-0002-agent")
        customer.check(15)
        agent.check(15)
    await ami.drain(1)


async def originate_context_answered(ami: AmiConn) -> None:
    """Click-to-call through the dialplan: Originate PJSIP/1001 into from-internal/0712345678;
    the customer sees the company DID 0800123456, answers, hangs up after 3 s."""
    with (
        customer_phone_uas("uas_answer_hangup", hold_seconds=3, calls=1) as customer,
        agent_phone(1001, calls=1) as agent,
    ):
        resp = await ami.action(
            "Originate",
            Channel="PJSIP/1001",
            Context="from-internal",
            Exten=CUSTOMER,
            Priority="1",
            CallerID=f'"{CUSTOMER}" <{CUSTOMER}>',
            Timeout="30000",
            Async="true",
            ChannelId="c2c-0003-agent",
        )
        assert resp.get("Response") == "Success", resp
        await ami.wait_event("Hangup", within=30, Uniqueid="c2c-0003-agent")
        customer.check(15)
        agent.check(15)
    await ami.drain(1)


async def member_status(ami: AmiConn) -> None:
    """Agent 1002 added to both queues, paused in one, paused everywhere, unpaused, removed."""
    await _add(ami, 1002, "collections")
    await _add(ami, 1002, "customer_service")
    await ami.action("QueuePause", Queue="collections", Interface="PJSIP/1002", Paused="true", Reason="lunch")
    await ami.action("QueuePause", Interface="PJSIP/1002", Paused="true", Reason="meeting")
    await ami.action("QueuePause", Interface="PJSIP/1002", Paused="false")
    await _remove(ami, 1002, "collections")
    await _remove(ami, 1002, "customer_service")
    await ami.drain(1)


async def direct_answered(ami: AmiConn) -> None:
    """0712345678 calls 0800123457 (no IVR), agent 1001 answers, customer hangs up after 3 s."""
    await _add(ami, 1001)
    with agent_phone(1001, calls=1) as agent:
        call = customer_call(CUSTOMER, DID_DIRECT, hold_seconds=3)
        await ami.wait_event("AgentComplete", within=30)
        call.check(15)
        agent.check(15)
    await ami.drain(1)
    await _remove(ami, 1001)


SCENARIOS = {
    "pbx-inbound-ivr-answered": inbound_ivr_answered,
    "pbx-inbound-abandoned": inbound_abandoned,
    "pbx-originate-answered": originate_answered,
    "pbx-originate-busy": originate_busy,
    "pbx-queue-member-status": member_status,
    "pbx-originate-context-answered": originate_context_answered,
    "pbx-direct-answered": direct_answered,
}


async def record_one(name: str, out_dir: Path = OUT) -> Path:
    ami = AmiConn()
    await ami.connect()
    await ami.login()
    await ami.drain(0.5)  # FullyBooted etc.
    try:
        await SCENARIOS[name](ami)
    finally:
        path = ami.save(out_dir / f"{name}.ami")
        await ami.close()
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description="record AMI fixtures from the test PBX")
    ap.add_argument("--only", choices=sorted(SCENARIOS))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    pbx = Pbx()
    if not pbx.is_running():
        pbx.start()
    for name in [args.only] if args.only else list(SCENARIOS):
        pbx.reset()
        path = asyncio.run(record_one(name, args.out))
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
