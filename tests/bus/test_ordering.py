"""KeyedRunner (bus/ordering.py): at most ``limit`` at once, in submission order per key."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bus.ordering import KeyedRunner, ordering_keys
from domain.events import (
    AgentRinging,
    AgentStateChanged,
    AgentStateRequested,
    CallEnded,
    Direction,
    EndCause,
    InteractionSaved,
    PaymentReceived,
)
from domain.events.calls import AgentState


class Trace:
    """Records starts and ends, and the most works seen running at once."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.finished: list[int] = []
        self.running = 0
        self.most = 0

    def work(self, n: int, delay: float) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            self.started.append(n)
            self.running += 1
            self.most = max(self.most, self.running)
            try:
                await asyncio.sleep(delay)
            finally:
                self.running -= 1
            self.finished.append(n)

        return run


async def test_one_slot_runs_everything_in_submission_order() -> None:
    runner, trace = KeyedRunner("t", 1), Trace()
    for n in range(10):
        await runner.submit([f"k{n % 3}"], trace.work(n, 0.002 * (3 - n % 3)))
    assert await runner.drain(5)
    assert trace.finished == list(range(10))
    assert trace.most == 1


async def test_different_keys_overlap_up_to_the_limit_and_one_key_keeps_its_order() -> None:
    runner, trace = KeyedRunner("t", 4), Trace()
    # call "a" gets a slow first event; the others must not wait for it, "a"'s second must
    await runner.submit(["call:a"], trace.work(0, 0.2))
    await runner.submit(["call:a"], trace.work(1, 0.0))
    for n in range(2, 8):
        await runner.submit([f"call:{n}"], trace.work(n, 0.01))
    assert await runner.drain(5)
    assert trace.finished.index(0) < trace.finished.index(1)
    assert trace.finished[-2:] == [0, 1]  # everyone else finished while "a" was slow
    assert trace.most == 3  # 4 slots, one held by "a"'s second while it waits its turn


async def test_an_event_with_two_keys_waits_for_the_earlier_work_of_both() -> None:
    runner, trace = KeyedRunner("t", 8), Trace()
    await runner.submit(["call:a"], trace.work(0, 0.05))
    await runner.submit(["device:d"], trace.work(1, 0.1))
    await runner.submit(["call:a", "device:d"], trace.work(2, 0.0))
    await runner.submit(["call:b"], trace.work(3, 0.0))
    assert await runner.drain(5)
    assert trace.finished == [3, 0, 1, 2]


async def test_a_failure_is_logged_and_the_next_of_its_key_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    runner, done = KeyedRunner("failing", 2), []

    async def boom() -> None:
        raise RuntimeError("boom")

    async def after() -> None:
        done.append("after")

    with caplog.at_level(logging.ERROR):
        await runner.submit(["call:a"], boom)
        await runner.submit(["call:a"], after)
        assert await runner.drain(5)
    assert done == ["after"]
    assert any("failing: work failed" in r.getMessage() and r.exc_info for r in caplog.records)
    assert len(runner) == 0


async def test_cancel_releases_every_slot_and_key() -> None:
    runner = KeyedRunner("t", 2)
    blocker = asyncio.Event()
    await runner.submit(["call:a"], blocker.wait)
    await runner.submit(["call:a"], blocker.wait)  # waits for the first
    await runner.cancel()
    assert len(runner) == 0
    trace = Trace()
    await asyncio.wait_for(runner.submit(["call:a"], trace.work(9, 0.0)), 1)
    await asyncio.wait_for(runner.submit(["call:a"], trace.work(10, 0.0)), 1)
    assert await runner.drain(1)
    assert trace.finished == [9, 10]


async def test_a_full_runner_holds_the_submitter_back() -> None:
    runner = KeyedRunner("t", 2)
    gate = asyncio.Event()
    await runner.submit(["call:a"], gate.wait)
    await runner.submit(["call:b"], gate.wait)
    third = asyncio.ensure_future(runner.submit(["call:c"], gate.wait))
    await asyncio.sleep(0.05)
    assert not third.done()
    gate.set()
    await asyncio.wait_for(third, 1)
    assert await runner.drain(1)


@settings(max_examples=40, deadline=None)
@given(limit=st.integers(1, 6), jobs=st.lists(st.tuples(st.sets(st.sampled_from("abcde"), min_size=1, max_size=2),
                                                       st.integers(0, 3)), min_size=1, max_size=25))
def test_property_per_key_order_and_the_limit_hold(limit: int, jobs: list[tuple[set[str], int]]) -> None:
    async def scenario() -> None:
        runner, trace = KeyedRunner("prop", limit), Trace()
        for n, (keys, ms) in enumerate(jobs):
            await runner.submit(sorted(keys), trace.work(n, ms / 1000))
        assert await runner.drain(10)
        assert sorted(trace.finished) == list(range(len(jobs)))
        assert trace.most <= limit
        for key in "abcde":
            mine = [n for n, (keys, _) in enumerate(jobs) if key in keys]
            assert [n for n in trace.started if n in mine] == mine  # started in order per key
            assert [n for n in trace.finished if n in mine] == mine

    asyncio.run(scenario())


def test_ordering_keys_name_the_call_and_the_agent() -> None:
    ring = AgentRinging(call_id="pbx/1.1", device="PJSIP/1001", member_name=None, queue="q",
                        caller_number="0712", dialed_number="100", direction=Direction.INBOUND)
    assert ordering_keys(ring) == ("call:pbx/1.1", "device:PJSIP/1001")
    assert ordering_keys(CallEnded(call_id="pbx/1.1", cause=EndCause.NORMAL, cause_code=16)) == ("call:pbx/1.1",)
    assert ordering_keys(AgentStateChanged(device="PJSIP/1001", state=AgentState.READY)) == ("device:PJSIP/1001",)
    request = AgentStateRequested(username="amina", device="PJSIP/1001", state="ready", reason=None, queues=())
    assert ordering_keys(request) == ("device:PJSIP/1001", "agent:amina")
    saved = InteractionSaved(customer_id=1, interaction_id=2, operator="amina", call_id=None,
                             status="PTP", reason=None, resolution=None)
    assert ordering_keys(saved) == ("agent:amina", "customer:1")
    payment = PaymentReceived(customer_id=1, amount="10.00", reference="x")
    assert ordering_keys(payment) == ("customer:1",)


def test_ordering_keys_are_stable_under_shuffling() -> None:
    rng = random.Random(3)
    events = [CallEnded(call_id=f"c{i}", cause=EndCause.NORMAL, cause_code=16) for i in range(20)]
    rng.shuffle(events)
    assert {ordering_keys(e) for e in events} == {(f"call:c{i}",) for i in range(20)}
