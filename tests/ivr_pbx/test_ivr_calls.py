"""Every branch of the default menu on the real test PBX, with real DTMF (SIP INFO) from sipp.

Keys interrupt the prompts (barge-in), so the callers press them a moment after each prompt
starts; waits between keys stay inside the menu's timeouts.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import select

from store.models import CallTask, FollowUpTask, Interaction, PromiseToPay
from tests.cti_pbx.support import AMINA_PHONE, until
from tests.ivr_pbx.conftest import IvrLive
from tests.ivr_pbx.scenarios import Keys, Pause, ivr_caller
from tests.pbx.fixtures import Phones

P = Pause(900)  # a prompt has started; a key interrupts it


def labels(path: list[list[str | None]]) -> list[str]:
    return [node if value is None else f"{node}:{value}" for node, value in path]


async def call(phones: Phones, caller: str, actions: list[Keys | Pause], within: float = 90) -> None:
    phone = ivr_caller(caller, actions)
    phones.started.append(phone)
    phone.start()
    await asyncio.to_thread(phone.check, within)


async def test_balance_then_a_promise_with_refusals_and_a_change(ivr_live: IvrLive, phones: Phones) -> None:
    walk = [Pause(1500), Keys("1"), P, Keys(ivr_live.id_last4), P, Keys("1"), Pause(1500), Keys("2"), P,
            Keys("99999999#"), P, Keys("3000#"), P, Keys("0112"), P, Keys("2012"), P, Keys("2"), P, Keys("2500#"),
            P, Keys("1812"), P, Keys("1"), Pause(2500)]
    await call(phones, AMINA_PHONE, walk)
    row = await ivr_live.ended_session()
    path = labels(row.path)
    assert row.verified is True and row.identified_by == "caller_id" and row.outcome == "promise"
    for step in ("language:1", "verify:****", "main:1", "balance", "main:2", "promise_amount:99999999!too_high",
                 "promise_amount:3000", "promise_date:0112!past", "promise_date:2012", "promise_confirm:2",
                 "promise_amount:2500", "promise_date:1812", "promise_confirm:1", "promise_save"):
        assert step in path, (step, path)
    assert row.abandoned and row.end_node == "main" and row.balance_heard
    async with ivr_live.database.session() as session:
        [promise] = (await session.scalars(select(PromiseToPay).where(PromiseToPay.source == "ivr"))).all()
        entries = (await session.scalars(select(Interaction).where(Interaction.channel == "ivr")
                                         .order_by(Interaction.id))).all()
    assert promise.amount == Decimal(2500) and str(promise.due_date) == "2026-12-18"
    assert [e.subject for e in entries] == ["Balance enquiry (IVR)", "Promise to pay (IVR)"]
    # the prompts are real sound files that Asterisk played: STREAM FILE answered endpos > 0 (samples)
    played = ivr_live.watch.ends("STREAM FILE")
    assert played and played[0]["Command"] == "STREAM FILE switchboard/en/greeting 0123456789*#"
    assert all(m["ResultCode"] == "200" for m in played[:-1])  # the last one: the caller hung up on it
    stats = ivr_live.agi_stats
    assert stats.files_played >= 10 and stats.samples_played > 8000 * 5, stats
    dtmf = [m for m in ivr_live.watch.ami.messages if m.get("Event") == "DTMFEnd" and m.get("Direction") == "Received"]
    assert len(dtmf) >= 20


async def test_callback(ivr_live: IvrLive, phones: Phones) -> None:
    await call(phones, AMINA_PHONE, [Pause(1500), Keys("1"), P, Keys(ivr_live.id_last4), P, Keys("3"), Pause(2500)])
    row = await ivr_live.ended_session()
    assert row.outcome == "callback" and "main:3" in labels(row.path)
    async with ivr_live.database.session() as session:
        follow = (await session.scalars(select(FollowUpTask).where(FollowUpTask.kind == "callback",
                                                                   FollowUpTask.done.is_(False)))).one()
        task = (await session.scalars(select(CallTask).where(CallTask.source == "ivr"))).one()
    assert follow.instructions == "callback requested (IVR)" and task.reason == "callback"
    assert task.next_eligible_at == row.callback_at


async def test_unknown_caller_with_the_account_number_reaches_an_agent_who_sees_the_ivr(
        ivr_live: IvrLive, phones: Phones) -> None:
    agent = await ivr_live.live.agent("agent1")
    phones.agent(1001, hold_seconds=2)
    await call(phones, "0733000444", [Pause(1500), Keys("1"), P, Keys("100001#"), P, Keys(ivr_live.id_last4), P,
                                      Keys("0"), Pause(7000)])
    pop = (await agent.wait("call.ringing", within=20))["data"]
    ivr = pop["ivr"]
    assert ivr["identified_by"] == "account" and ivr["verified"] is True and ivr["note"] is None
    assert ivr["path"] == ["language:1", "account:100001", "verify:****", "main:0", "agent"]
    assert pop["matches"][0]["name"] == "Amina Wanjiru" and pop["queue"] == "collections"
    row = await ivr_live.ended_session()
    assert row.outcome == "agent" and row.queue == "collections" and row.customer_id == ivr_live.live.amina_id


async def test_three_invalid_keys_go_to_the_agents(ivr_live: IvrLive, phones: Phones) -> None:
    await call(phones, AMINA_PHONE, [Pause(1500), Keys("1"), P, Keys(ivr_live.id_last4), P, Keys("7"), P, Keys("9"),
                                     P, Keys("#"), Pause(3000)])
    row = await ivr_live.ended_session()
    assert row.outcome == "agent" and labels(row.path)[-4:] == ["main:7", "main:9", "main:#", "agent"]


async def test_three_timeouts_go_to_the_agents(ivr_live: IvrLive, phones: Phones) -> None:
    """A caller who presses nothing: the language choice is said again after each timeout (with
    the no-input prompt), and after the third the caller goes to the agents."""
    menu = ivr_live.live.app.services.lists.ivr
    cycle = 5000 + 2500 + int(menu.defaults.first_timeout * 1000)  # the choice, "did not hear", the wait
    await call(phones, AMINA_PHONE, [Pause(4000 + 3 * cycle + 4000)], within=150)
    row = await ivr_live.ended_session(within=60)
    assert row.outcome == "agent" and labels(row.path)[-4:] == ["language:timeout"] * 3 + ["agent"]
    assert row.customer_id is None and row.queue == "collections"


async def test_hanging_up_in_the_amount_leaves_no_promise(ivr_live: IvrLive, phones: Phones) -> None:
    await call(phones, AMINA_PHONE, [Pause(1500), Keys("1"), P, Keys(ivr_live.id_last4), P, Keys("2"), P, Keys("15"),
                                     Pause(300)])
    row = await ivr_live.ended_session()
    assert row.outcome == "hung_up" and row.abandoned and row.end_node == "promise_amount"
    async with ivr_live.database.session() as session:
        assert (await session.scalars(select(PromiseToPay).where(PromiseToPay.source == "ivr"))).all() == []


async def test_failed_verification_goes_to_agents_saying_so(ivr_live: IvrLive, phones: Phones) -> None:
    wrong = "1111" if ivr_live.id_last4 != "1111" else "2222"
    await call(phones, AMINA_PHONE, [Pause(1500), Keys("1"), P, Keys(wrong), P, Keys(wrong), P, Keys(wrong),
                                     Pause(3000)])
    row = await ivr_live.ended_session()
    assert row.verified is False and row.outcome == "agent" and row.note == "verification_failed"
    assert row.pop is not None and row.pop["note"] == "verification failed"

    async def no_account_data() -> bool:
        return not ivr_live.watch.ends("SAY NUMBER")

    await until(no_account_data, 1, "nothing said about the account")
