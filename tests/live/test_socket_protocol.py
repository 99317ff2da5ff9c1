"""The socket protocol driven by hypothesis: random appends, resumes (any number), stream restarts
and garbage frames, against the real session code and the in-process outbox, with no network.

Whatever the client sends, the session never spins (every step finishes within its time bound),
the socket stays open, seqs only rise between ``reset`` frames, and every message of the stream
after the client's position is delivered exactly once.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_ui.ws import _Session
from bus.outbox import MemoryOutbox

STREAM = "agent:agent2"


class FakeSocket:
    """What the session needs of a WebSocket: frames out to a list, client text in from a queue."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.incoming: asyncio.Queue[str] = asyncio.Queue()

    async def send_text(self, text: str) -> None:
        self.sent.append(json.loads(text))

    async def receive_text(self) -> str:
        return await self.incoming.get()


actions = st.lists(st.one_of(
    st.tuples(st.just("append"), st.integers(1, 5)),
    st.tuples(st.just("resume"), st.integers(-3, 60)),
    st.tuples(st.just("restart"), st.just(0)),
    st.tuples(st.just("garbage"), st.sampled_from(["", "x", "[]", '{"type":"resume","after_seq":"1"}',
                                                   '{"type":"launch"}', '{"type":"resume","after_seq":true}'])),
    st.tuples(st.just("ping"), st.just(0)),
), max_size=25)


async def _settle(outbox: MemoryOutbox, session: _Session, ws: FakeSocket) -> None:
    """Wait until the client has caught up with the stream (bounded: a spin would time out here)."""
    async with asyncio.timeout(10):
        while True:
            await asyncio.sleep(0.005)
            if ws.incoming.empty() and session.last == await outbox.last_seq(STREAM):
                return


async def _scenario(steps: list[tuple[str, Any]]) -> None:
    outbox = MemoryOutbox(retention=20)
    ws = FakeSocket()
    session = _Session(ws, outbox, STREAM, 0)  # type: ignore[arg-type]
    tasks = [asyncio.create_task(session.send_loop()), asyncio.create_task(session.receive_loop())]
    try:
        for kind, arg in steps:
            before = len(ws.sent)
            if kind == "append":
                for _ in range(arg):
                    await outbox.append(STREAM, "agent.state", {"n": 1})
            elif kind == "restart":  # the server restarted: the stream begins again at 1
                outbox._streams.pop(STREAM, None)
                await outbox.append(STREAM, "agent.state", {"n": 1})
            elif kind == "resume":
                await ws.incoming.put(json.dumps({"type": "resume", "after_seq": arg}))
            elif kind == "ping":
                await ws.incoming.put('{"type":"ping"}')
            else:
                await ws.incoming.put(arg)
            await _settle(outbox, session, ws)
            assert not any(t.done() for t in tasks), [t.exception() for t in tasks if t.done()]
            frames = [f for f in ws.sent[before:] if f["type"] not in ("error", "pong")]
            if kind == "garbage":
                assert ws.sent[before:] and ws.sent[-1]["type"] == "error"
            last = None
            for frame in frames:  # seqs rise between resets; a reset starts again from 0
                if frame["type"] == "reset":
                    last = 0
                    continue
                assert last is None or frame["seq"] == last + 1 or kind == "resume", frames
                assert last is None or frame["seq"] > last, frames
                last = frame["seq"]
        # the client is at the stream's end, and sees nothing twice from there on
        end = await outbox.last_seq(STREAM)
        assert session.last == end
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_any_client_behaviour_keeps_the_session_serving(steps: list[tuple[str, Any]]) -> None:
    asyncio.run(_scenario(steps))
