"""Outcomes by policy: no answer / busy retry with their spacing, give up after max attempts,
escalate after N failures in a row; an unknown dial is never re-sent; a not-sent one is retried as
a NEW attempt."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from config.lists.models import EscalationRules, RetryPolicy, RetryRule
from domain.events import AgentConnected, DialOutcome, EndCause
from store.models import AttemptState, CallTask, DialAttempt, TaskStatus
from tests.dialer.conftest import World, with_dialer_config


async def _only_task(world: World) -> CallTask:
    async with world.database.session() as s:
        [task] = (await s.scalars(select(CallTask))).all()
        return task


async def _attempts(world: World) -> list[DialAttempt]:
    async with world.database.session() as s:
        return list((await s.scalars(select(DialAttempt).order_by(DialAttempt.requested_at))).all())


async def _dial_once(world: World) -> None:
    """Tick until the task is previewed and dialled (the clock jumps over the preview time)."""
    await world.dialer.tick()
    world.clock.advance(seconds=5)
    await world.dialer.tick()
    await world.settle()


async def test_no_answer_retries_by_policy_then_gives_up(world: World) -> None:
    await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    world.carrier.end_cause = EndCause.NO_ANSWER
    for n in (1, 2):
        await _dial_once(world)
        task = await _only_task(world)
        assert task.status == TaskStatus.QUEUED and task.last_outcome == "no_answer" and task.attempts == n
        assert task.next_eligible_at == world.clock() + timedelta(minutes=120)  # spacing_minutes
        assert (await world.dialer.tick()).previews == 0  # not before its time
        world.clock.advance(minutes=120)
    await _dial_once(world)
    task = await _only_task(world)
    assert task.status == TaskStatus.DONE and task.attempts == 3  # max_attempts: 3
    assert [a.state for a in await _attempts(world)] == [AttemptState.NO_ANSWER] * 3
    outcomes = await world.messages("agent:amina", "dialer.outcome")
    assert [m.data["outcome"] for m in outcomes] == ["no_answer"] * 3
    assert len({m.data["call_id"] for m in outcomes}) == 3  # a new attempt id each time


async def test_busy_uses_its_own_spacing(world: World) -> None:
    await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    world.carrier.end_cause = EndCause.BUSY
    await _dial_once(world)
    task = await _only_task(world)
    assert task.last_outcome == "busy" and task.next_eligible_at == world.clock() + timedelta(minutes=30)


async def test_answered_call_waits_for_the_disposition(world: World) -> None:
    await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    world.carrier.answer, world.carrier.end_cause = True, EndCause.NORMAL
    await _dial_once(world)
    task = await _only_task(world)
    assert task.status == TaskStatus.WAITING_OUTCOME and task.last_outcome == "answered"


async def test_failures_in_a_row_escalate_to_the_supervisors(world: World) -> None:
    lists = with_dialer_config(world.lists, retry=RetryPolicy(
        no_answer=RetryRule(max_attempts=10, spacing_minutes=1), busy=RetryRule(max_attempts=10, spacing_minutes=1),
        failed=RetryRule(max_attempts=10, spacing_minutes=1)),
        escalation=EscalationRules(failed_attempts=3, broken_promise_amount=10000, queue="supervisor"))
    world.dialer.ctx.lists_source = lambda: lists
    await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    for cause in (EndCause.NO_ANSWER, EndCause.BUSY):
        world.carrier.end_cause = cause
        await _dial_once(world)
        world.clock.advance(minutes=1)
    world.carrier.end_cause = EndCause.FAILED
    await _dial_once(world)
    task = await _only_task(world)
    assert task.status == TaskStatus.ESCALATED
    [message] = await world.messages("supervisors", "dialer.escalated")
    assert message.data["task_id"] == task.id and message.data["queue"] == "supervisor"


async def test_unknown_outcome_is_never_sent_again_and_is_reconciled_from_events(world: World) -> None:
    await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    world.carrier.result = DialOutcome.UNKNOWN  # e.g. the AMI link dropped mid-Originate
    await _dial_once(world)
    [attempt] = await _attempts(world)
    assert attempt.state == AttemptState.UNKNOWN
    for _ in range(5):  # time passes; the dialer ticks; nothing is re-sent
        world.clock.advance(seconds=30)
        await world.dialer.tick()
        await world.settle()
    assert len(world.carrier.requests) == 1
    task = await _only_task(world)
    assert task.status == TaskStatus.WAITING_OUTCOME and task.last_outcome == "unknown"
    # The call did go out: its events arrive under the attempt id and settle the outcome.
    call_id = world.carrier.requests[0].call_id
    await world.bus.publish(AgentConnected(call_id=call_id, device="PJSIP/1001", queue=None,
                                           hold_seconds=None, ring_seconds=None))
    await world.carrier.end(call_id, EndCause.NORMAL)
    await world.settle()
    [attempt] = await _attempts(world)
    assert attempt.state == AttemptState.ANSWERED and attempt.ended_at is not None
    assert len(world.carrier.requests) == 1


async def test_not_sent_is_queued_again_and_dialled_as_a_new_attempt(world: World) -> None:
    await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    world.carrier.result = DialOutcome.NOT_SENT  # the carrier was down: nothing went out
    await _dial_once(world)
    task = await _only_task(world)
    assert task.status == TaskStatus.QUEUED and task.last_outcome == "not_sent" and task.attempts == 0
    world.carrier.result = DialOutcome.SENT
    world.clock.advance(seconds=30)
    await _dial_once(world)
    first, second = await _attempts(world)
    assert first.state == AttemptState.NOT_SENT and second.state == AttemptState.SENT
    assert [r.call_id for r in world.carrier.requests] == [first.id, second.id] and first.id != second.id
