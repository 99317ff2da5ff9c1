"""The IVR on the real store (SQLite and PostgreSQL): identification, verification, promises,
callbacks, history entries and the session records, through :class:`ivr.session.IvrCall`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import String, column, select, text

from config.compliance_loader import load_pack
from config.lists import Lists, load_lists
from config.settings import CONFIG_DIR, Settings
from domain.errors import SwitchboardError
from domain.events import Event, InteractionSaved, IvrCallbackBooked, IvrPromiseTaken, IvrSessionEnded
from ivr.data import CallRef, StoreIvrData
from ivr.instructions import Collect, Digits, Input, NoInput, Route, Step
from ivr.recorder import IvrRecorder
from ivr.session import IvrCall
from ivr.speech import sentence
from ivr.unit import Units
from store.db import Database
from store.hot import HotStatement
from store.models import (
    CallRecord,
    CallTask,
    Customer,
    FollowUpTask,
    Interaction,
    IvrSession,
    Loan,
    PromiseToPay,
    User,
)
from store.repositories import ivr_hot
from store.repositories.ivr_panel import ivr_panel
from store.seed.demo import load_demo

MONDAY_10 = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 10:00 in Nairobi: inside the calling window
SATURDAY_NIGHT = datetime(2026, 12, 5, 19, 30, tzinfo=UTC)  # 22:30 Saturday; Sunday is closed
AMINA = "+254712345678"


class World:
    def __init__(self, database: Database, clock: datetime) -> None:
        self.database = database
        self.settings = Settings(database_url="sqlite://", redis_url=None)
        self.lists: Lists = load_lists(CONFIG_DIR / "defaults")
        self.events: list[Event] = []
        self.clock = clock
        now: Callable[[], datetime] = lambda: self.clock  # noqa: E731
        self.data = StoreIvrData(self.settings, lambda: self.lists, load_pack("kenya"), clock=now)
        self.recorder = IvrRecorder(clock=now)
        self.units = Units(database, self.publish)
        self.calls = 0

    async def publish(self, event: Event) -> None:
        self.events.append(event)

    def call(self, caller: str = AMINA) -> Caller:
        self.calls += 1
        return Caller(IvrCall(self.lists.ivr, self.data, self.recorder,
                              CallRef(f"default/1000.{self.calls}", "asterisk"), caller=caller), self.units)


class Caller:
    """An IvrCall whose every move is its own unit of work (as the FastAGI handler runs it)."""

    def __init__(self, ivr: IvrCall, units: Units) -> None:
        self.ivr, self.units, self.call = ivr, units, ivr.call

    async def begin(self) -> Step:
        async with self.units.open() as unit:
            return await self.ivr.begin(unit)

    async def advance(self, item: Input) -> Step:
        async with self.units.open() as unit:
            return await self.ivr.advance(item, unit)

    async def hang_up(self) -> None:
        async with self.units.open() as unit:
            await self.ivr.hang_up(unit)


def heard(step: Step) -> str:
    """Everything the caller hears for a step (the Collect's prompt included)."""
    return sentence([*step.say, *(step.then.speech if isinstance(step.then, Collect) else ())])


async def amina(database: Database) -> Customer:
    async with database.session() as session:
        found = await session.scalar(select(Customer).where(Customer.name == "Amina Wanjiru"))
        assert found is not None
        return found


async def to_main(call: Caller, id_digits: str) -> Step:
    await call.begin()
    step = await call.advance(Digits("1"))
    assert isinstance(step.then, Collect) and step.then.node == "verify"
    step = await call.advance(Digits(id_digits))
    assert isinstance(step.then, Collect) and step.then.node == "main", heard(step)
    return step


@pytest.fixture
async def seeded(database: Database) -> Database:
    await load_demo(database, 3)
    return database


async def test_promise_is_like_an_agents_with_an_ivr_history_entry(seeded: Database) -> None:
    world = World(seeded, MONDAY_10)
    customer = await amina(seeded)
    last4 = "".join(c for c in customer.government_id or "" if c.isdigit())[-4:]
    call = world.call()
    await to_main(call, last4)
    await call.advance(Digits("2"))
    step = await call.advance(Digits("500"))
    step = await call.advance(Digits("1812"))
    assert "500 shillings on Friday, 18 December" in heard(step)
    async with seeded.session() as session:
        before = (await session.scalars(select(PromiseToPay).where(PromiseToPay.source == "ivr"))).all()
    assert before == []  # nothing before the confirming 1
    step = await call.advance(Digits("1"))
    assert "is recorded" in heard(step)
    await call.advance(Digits("0"))
    async with seeded.session() as session:
        promise = (await session.scalars(select(PromiseToPay).where(PromiseToPay.source == "ivr"))).one()
        entry = await session.get(Interaction, promise.interaction_id)
        row = await session.scalar(select(IvrSession).where(IvrSession.call_id == call.call.call_id))
        agent1 = await session.scalar(select(User.id).where(User.username == "agent1"))
        pending = (await session.scalars(select(PromiseToPay).where(
            PromiseToPay.customer_id == customer.id, PromiseToPay.status == "pending")
            .order_by(PromiseToPay.due_date, PromiseToPay.id))).first()
        last = (await session.scalars(select(Interaction).where(Interaction.customer_id == customer.id)
                                      .order_by(Interaction.created_at.desc(), Interaction.id.desc()))).first()
        loans = (await session.scalars(select(Loan).where(Loan.customer_id == customer.id,
                                                          Loan.status == "active"))).all()
    assert pending is not None and last is not None
    assert row is not None and row.pop is not None and row.pop["match"]["summary"] == {
        "overdue_amount": str(sum((loan.overdue_amount for loan in loans), Decimal(0)).quantize(Decimal("0.01"))),
        "days_past_due": max((loan.days_past_due for loan in loans), default=0),
        "open_promise": {"id": pending.id, "amount": str(pending.amount), "due_date": pending.due_date.isoformat()},
        "last_interaction": {"at": last.created_at.isoformat(), "channel": last.channel, "disposition": "/".join(
            x for x in (last.disposition_status, last.disposition_reason, last.disposition_resolution) if x),
            "comments": (last.comments or last.subject or "")[:140]}}
    assert promise.amount == Decimal(500) and str(promise.due_date) == "2026-12-18"
    assert promise.assignee_id == agent1 == customer.assigned_agent_id and promise.created_by_id is None
    assert entry is not None and entry.channel == "ivr" and entry.promised_amount == Decimal(500)
    assert row is not None and row.outcome == "agent" and row.promise_id == promise.id and row.verified is True
    assert row.pop is not None and row.pop["customer_id"] == customer.id and row.pop["verified"] is True
    assert row.pop["match"]["name"] == "Amina Wanjiru"
    assert any(isinstance(e, IvrPromiseTaken) and e.promise_id == promise.id for e in world.events)
    assert any(isinstance(e, InteractionSaved) and e.promised_date is not None for e in world.events)
    async with seeded.session() as session:
        record = await session.scalar(select(CallRecord).where(CallRecord.call_id == call.call.call_id))
    assert record is not None and record.customer_id == customer.id  # the agent's pop gets her first


async def test_verification_digits_are_stored_nowhere(seeded: Database) -> None:
    world = World(seeded, MONDAY_10)
    customer = await amina(seeded)
    last4 = "".join(c for c in customer.government_id or "" if c.isdigit())[-4:]
    async def stored() -> str:
        async with seeded.session() as session:
            rows = [str(r) for r in (await session.execute(text("SELECT * FROM ivr_sessions"))).all()]
            rows += [str(r) for r in (await session.execute(text("SELECT * FROM interactions"))).all()]
        return "\n".join(rows)

    before = await stored()
    wrong = next(c for c in ("9731", "8642", "7193", "6284") if c != last4 and c not in before)
    call = world.call()
    await call.begin()
    await call.advance(Digits("1"))
    for _ in range(3):
        step = await call.advance(Digits(wrong))
    assert step.then == Route("collections", "verification_failed")
    async with seeded.session() as session:
        row = await session.scalar(select(IvrSession).where(IvrSession.call_id == call.call.call_id))
    assert row is not None and row.verified is False and row.pop["note"] == "verification failed"
    assert row.path.count(["verify", "****!mismatch"]) == 3
    assert wrong not in await stored()


async def test_callback_for_the_assigned_agent_at_the_first_allowed_time(seeded: Database) -> None:
    world = World(seeded, SATURDAY_NIGHT)
    customer = await amina(seeded)
    last4 = "".join(c for c in customer.government_id or "" if c.isdigit())[-4:]
    call = world.call()
    await to_main(call, last4)
    step = await call.advance(Digits("3"))
    assert "We will call you back on Monday, 7 December at 8 AM." in heard(step)
    await call.hang_up()
    async with seeded.session() as session:
        follow = (await session.scalars(select(FollowUpTask).where(
            FollowUpTask.instructions == "callback requested (IVR)"))).one()
        task = (await session.scalars(select(CallTask).where(CallTask.source == "ivr"))).one()
        row = await session.scalar(select(IvrSession).where(IvrSession.call_id == call.call.call_id))
    monday_8 = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    assert follow.assignee_id == customer.assigned_agent_id and follow.kind == "callback" and follow.due_at == monday_8
    assert task.reason == "callback" and task.next_eligible_at == monday_8 and task.owner_id == customer.assigned_agent_id
    assert row is not None and row.outcome == "callback" and row.abandoned is True and row.end_node == "main"
    assert any(isinstance(e, IvrCallbackBooked) for e in world.events)


async def test_a_second_callback_moves_the_open_task_and_keeps_the_work_list(seeded: Database) -> None:
    """The customer's open callback task is moved to the new time, not doubled; each request
    leaves its follow-up and history entry, and the customer's work-list summary follows them."""
    customer = await amina(seeded)
    last4 = "".join(c for c in customer.government_id or "" if c.isdigit())[-4:]
    for when in (SATURDAY_NIGHT, MONDAY_10):
        call = World(seeded, when).call()
        await to_main(call, last4)
        await call.advance(Digits("3"))
        await call.hang_up()
    async with seeded.session() as session:
        tasks = (await session.scalars(select(CallTask).where(CallTask.source == "ivr"))).all()
        follows = (await session.scalars(select(FollowUpTask).where(
            FollowUpTask.instructions == "callback requested (IVR)").order_by(FollowUpTask.id))).all()
        open_due = (await session.scalars(select(FollowUpTask.due_at).where(
            FollowUpTask.customer_id == customer.id, FollowUpTask.done.is_(False)))).all()
        entries = (await session.scalars(select(Interaction).where(
            Interaction.subject == "Callback requested (IVR)").order_by(Interaction.id))).all()
        row = await session.get(Customer, customer.id)
    monday_8 = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    assert len(tasks) == 1 and tasks[0].next_eligible_at == MONDAY_10 and tasks[0].updated_at == MONDAY_10
    assert tasks[0].owner_id == customer.assigned_agent_id and tasks[0].status.value == "queued"
    assert [f.due_at for f in follows] == [monday_8, MONDAY_10]
    assert [f.interaction_id for f in follows] == [e.id for e in entries]
    assert [e.callback_at for e in entries] == [monday_8, MONDAY_10] and entries[0].channel == "ivr"
    assert row is not None and row.next_action_at == min(open_due) <= monday_8
    assert row.last_contact_at == entries[-1].created_at


async def test_balance_history_abandon_and_the_panel(seeded: Database) -> None:
    world = World(seeded, MONDAY_10)
    customer = await amina(seeded)
    last4 = "".join(c for c in customer.government_id or "" if c.isdigit())[-4:]
    served = world.call()
    await to_main(served, last4)
    step = await served.advance(Digits("1"))
    assert heard(step).startswith("Your outstanding balance is ")
    await served.hang_up()
    gone = world.call()
    await to_main(gone, last4)
    await gone.advance(Digits("2"))
    await gone.hang_up()
    silent = world.call(caller="+254700000009")
    await silent.begin()
    await silent.advance(Digits("1"))
    for _ in range(3):
        step = await silent.advance(NoInput())
    assert step.then == Route("collections", "not_identified")
    live = world.call()
    await live.begin()
    async with seeded.session() as session:
        entries = (await session.scalars(select(Interaction).where(Interaction.channel == "ivr"))).all()
        panel = await ivr_panel(session, now=MONDAY_10, tz="Africa/Nairobi")
    assert [e.subject for e in entries] == ["Balance enquiry (IVR)"]
    assert panel["in_ivr"] == 1 and panel["sessions_today"] == 3 and panel["self_served_today"] == 1
    assert panel["hangup_nodes"] == [{"node": "promise_amount", "count": 1}]
    assert panel["self_service_rate"] == round(1 / 3, 4)
    ended = [e for e in world.events if isinstance(e, IvrSessionEnded)]
    assert [e.outcome for e in ended] == ["self_served", "hung_up", "agent"]


class _Refused(Exception):
    pass


async def test_a_state_saved_with_records_goes_with_them(seeded: Database) -> None:
    """A session's state saved in a unit that wrote records (a history entry) is in that unit's
    transaction: undone when the unit fails, there with the entry when it commits."""
    world = World(seeded, MONDAY_10)
    customer = await amina(seeded)
    async with world.units.open() as unit:
        session_id = await world.recorder.open(unit, call_id="twilio/CA1", carrier="twilio", menu="main",
                                               caller=None, language="en")

    async def balance_heard(fail: bool) -> None:
        async with world.units.open() as unit:
            await ivr_hot.history(await unit.writer(), customer.id, "twilio/CA1", "Balance enquiry (IVR)")
            assert await world.recorder.save_state(unit, session_id, {"node": "main_menu"}, 0, 1)
            if fail:
                raise _Refused

    async def stored() -> tuple[int, object, int]:
        async with seeded.session() as session:
            row = await session.get(IvrSession, session_id)
            assert row is not None
            entries = (await session.scalars(select(Interaction).where(Interaction.call_id == "twilio/CA1"))).all()
            return row.step, row.state, len(entries)

    with pytest.raises(_Refused):
        await balance_heard(fail=True)
    assert await stored() == (0, None, 0)
    await balance_heard(fail=False)
    assert await stored() == (1, {"node": "main_menu"}, 1)


async def test_a_refused_write_in_a_savepoint_leaves_the_units_transaction_usable(seeded: Database) -> None:
    """What a refused promise relies on: the savepoint's statements are undone, the unit's earlier
    and later writes commit."""
    world = World(seeded, MONDAY_10)
    customer = await amina(seeded)
    async with world.units.open() as unit:
        writer = await unit.writer()
        await ivr_hot.history(writer, customer.id, "twilio/CA9", "kept")

        async def refused() -> None:
            async with writer.savepoint():
                await ivr_hot.history(writer, customer.id, "twilio/CA9", "undone")
                await ivr_hot.history(writer, customer.id + 10_000, "twilio/CA9", "refused")  # no such customer

        with pytest.raises(SwitchboardError):
            await refused()
        await ivr_hot.history(writer, customer.id, "twilio/CA9", "after")
    async with seeded.session() as session:
        subjects = (await session.scalars(select(Interaction.subject).where(Interaction.call_id == "twilio/CA9")
                                          .order_by(Interaction.id))).all()
    assert subjects == ["kept", "after"]


SYNC_COMMIT = HotStatement(text("SELECT current_setting('synchronous_commit')").columns(column("s", String)))


async def test_the_units_records_commit_as_durably_as_the_orms(seeded: Database) -> None:
    """The hot pool's own statements may skip the WAL flush (``synchronous_commit=off``); a unit's
    records (its writer's transaction) commit with the database's setting, as an ORM session's do."""
    if seeded.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's synchronous_commit")
    world = World(seeded, MONDAY_10)
    async with seeded.session() as session:
        orm = (await session.execute(text("SELECT current_setting('synchronous_commit')"))).scalar_one()
    async with world.units.open() as unit:
        async with unit.hot() as hot:
            alone = await hot.fetchrow(SYNC_COMMIT, {})
        records = await (await unit.writer()).fetchrow(SYNC_COMMIT, {})
    assert alone == ("off",) and records == (orm,) and orm != "off"
