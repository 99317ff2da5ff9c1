"""The outbox's listener cache: answers only what it can prove complete, else sends readers to Redis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bus.base import OutboxMessage
from bus.outbox_cache import StreamCache


def msg(seq: int) -> OutboxMessage:
    return OutboxMessage(seq, "t", {"n": seq})


def test_nothing_is_kept_for_a_stream_no_local_reader_asked_for() -> None:
    cache = StreamCache()
    assert cache.heard("agent:amina", msg(1)) is False
    assert cache.answer("agent:amina", 0) is None
    assert len(cache) == 0


def test_a_reader_at_the_last_heard_seq_waits_and_one_behind_gets_the_run() -> None:
    cache = StreamCache()
    cache.interest("agent:amina", now=0)
    assert cache.answer("agent:amina", 0) is None  # heard nothing yet: ask Redis
    for seq in (7, 8, 9):
        assert cache.heard("agent:amina", msg(seq)) is True
    assert cache.answer("agent:amina", 9) == []
    assert [m.seq for m in cache.answer("agent:amina", 7) or []] == [8, 9]
    assert [m.seq for m in cache.answer("agent:amina", 6) or []] == [7, 8, 9]
    assert cache.answer("agent:amina", 5) is None  # 6 was never heard here
    assert cache.answer("agent:amina", 10) is None  # ahead of what we heard: a reset, or we lag


def test_a_hole_restarts_the_run_and_a_repeat_changes_nothing() -> None:
    cache = StreamCache()
    cache.interest("s", now=0)
    for seq in (1, 2, 3, 2, 3, 6):
        cache.heard("s", msg(seq))
    assert cache.answer("s", 6) == []
    assert [m.seq for m in cache.answer("s", 5) or []] == [6]
    assert cache.answer("s", 3) is None  # 4 and 5 were not heard


def test_seq_one_after_a_higher_seq_is_a_stream_that_began_again() -> None:
    cache = StreamCache()
    cache.interest("s", now=0)
    for seq in (41, 42, 1):
        cache.heard("s", msg(seq))
    assert [m.seq for m in cache.answer("s", 0) or []] == [1]
    assert cache.answer("s", 42) is None


def test_depth_bounds_what_is_kept_and_older_readers_go_to_redis() -> None:
    cache = StreamCache(depth=3)
    cache.interest("s", now=0)
    for seq in range(1, 11):
        cache.heard("s", msg(seq))
    assert [m.seq for m in cache.answer("s", 7) or []] == [8, 9, 10]
    assert cache.answer("s", 6) is None


def test_clear_and_forget_send_readers_to_redis_until_the_next_message() -> None:
    cache = StreamCache()
    for stream in ("a", "b"):
        cache.interest(stream, now=0)
        cache.heard(stream, msg(1))
    cache.forget("a")
    assert cache.answer("a", 1) is None and cache.answer("b", 1) == []
    cache.clear()
    assert cache.answer("b", 1) is None
    cache.heard("b", msg(2))
    assert [m.seq for m in cache.answer("b", 1) or []] == [2]


def test_sweep_drops_streams_not_read_for_a_while() -> None:
    cache = StreamCache(idle_seconds=60)
    cache.interest("old", now=0)
    cache.interest("new", now=50)
    cache.interest("old", now=10)
    assert cache.sweep(now=75) == 1
    assert not cache.watching("old") and cache.watching("new")


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 40)), min_size=1, max_size=80))
def test_an_answer_is_never_wrong(steps: list[tuple[bool, int]]) -> None:
    """The listener hears the true log 1, 2, 3 ... with any messages lost; whatever it heard, an
    answer is either None (ask Redis) or exactly the true messages after the reader's seq up to
    the last one heard."""
    cache = StreamCache(depth=8)
    cache.interest("s", now=0)
    last_heard = 0
    for seq, (delivered, reader_at) in enumerate(steps, start=1):
        if delivered:
            cache.heard("s", msg(seq))
            last_heard = seq
        answer = cache.answer("s", min(reader_at, last_heard))
        if answer is not None:
            after = min(reader_at, last_heard)
            assert [m.seq for m in answer] == list(range(after + 1, last_heard + 1))
