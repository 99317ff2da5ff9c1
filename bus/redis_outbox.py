"""The outbox in Redis: one stream per outbox stream, entry id ``<seq>-0``, shared by all workers.

Keys (``{...}`` is a cluster hash tag, so the keys of a stream live together)::

    <prefix>ob:{agent:amina}              the messages (XADD MAXLEN retention; fields t=type, d=JSON)
    <prefix>ob:{agent:amina}:seq          the last seq (INCR)
    <prefix>ob:{agent:amina}:once:<key>   an append_once key (its seq; expires after its ttl)
    <prefix>ob:notify                     pub/sub channel: ``stream\nseq\ntype\ndata`` of each append

``append`` is one Lua script (INCR, XADD with the explicit id, PEXPIRE, PUBLISH), so seqs are
gapless and in id order under any concurrency; ``append_once`` checks and sets its key in the same
script, so a frame claimed by a key is appended exactly once across workers.

Reading: one pub/sub listener per process hears every append with its message and keeps the
recent messages of the streams local sockets read (:class:`bus.outbox_cache.StreamCache`). A read
is answered from there when the cache can prove it holds everything after the reader's seq;
otherwise (first read, resume from further back, a listener that reconnected or heard a hole) it
is XRANGE from ``<after_seq + 1>-0``. A reader with nothing to read waits on a local event the
listener sets (not one blocking Redis connection per socket), and reads Redis once more when its
wait times out, so a listener that silently stopped hearing delays messages, never hides them; the
listener also pings and reconnects when it hears nothing for ``listener_dead_after`` s. Both keys
expire ``ttl_seconds`` after the last append (an idle agent's stream disappears; seq then restarts
at 1, see ``Outbox.read``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError

from bus.base import BusUnavailable, OutboxMessage
from bus.outbox_cache import StreamCache
from bus.waiters import Waiters, wait_event
from runtime.supervisor import TaskSupervisor, raise_if_cancelling

log = logging.getLogger(__name__)

_APPEND = r"""
if ARGV[7] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then
  return 0
end
local seq = redis.call('INCR', KEYS[2])
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #top > 0 then
  local last = tonumber(string.match(top[1][1], '^(%d+)'))
  if seq <= last then
    seq = last + 1
    redis.call('SET', KEYS[2], seq)
  end
end
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], seq .. '-0', 't', ARGV[2], 'd', ARGV[3])
if tonumber(ARGV[4]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
if ARGV[7] ~= '' then
  redis.call('SET', KEYS[3], seq, 'PX', ARGV[7])
end
redis.call('PUBLISH', ARGV[5], ARGV[6] .. '\n' .. seq .. '\n' .. ARGV[2] .. '\n' .. ARGV[3])
return seq
"""
PING_EVERY = 5.0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _check_names(stream: str, type: str) -> None:
    if "\n" in stream or "\n" in type:
        raise ValueError("outbox stream and message type names cannot contain a newline")


class RedisOutbox:
    def __init__(
        self,
        redis: Redis,
        supervisor: TaskSupervisor,
        *,
        prefix: str = "sb:",
        retention: int = 1000,
        ttl_seconds: float = 7 * 86400,
        cache_depth: int = 32,
        listener_dead_after: float = 15.0,
    ) -> None:
        if retention < 1:
            raise ValueError("retention must be at least 1")
        self._redis = redis
        self._supervisor = supervisor
        self._prefix = prefix
        self._retention = retention
        self._ttl_ms = int(ttl_seconds * 1000)
        self._channel = f"{prefix}ob:notify"
        self._append = redis.register_script(_APPEND)
        self._waiters = Waiters()
        self._cache = StreamCache(depth=cache_depth)
        self._dead_after = listener_dead_after
        self._listener: asyncio.Task[None] | None = None

    def _key(self, stream: str) -> str:
        return f"{self._prefix}ob:{{{stream}}}"

    async def append(self, stream: str, type: str, data: dict[str, Any]) -> int:
        seq = await self._run_append(stream, type, data, None, 0.0)
        assert seq is not None
        return seq

    async def append_many(self, messages: Sequence[tuple[str, str, dict[str, Any]]]) -> list[int]:
        """The append script once per message, pipelined: one round trip. (EVALSHA itself: a
        pipelined ``Script`` would ask SCRIPT EXISTS first, a round trip of its own each time.)"""
        calls = [self._append_call(stream, type, data, None, 0.0) for stream, type, data in messages]

        async def run() -> list[Any]:
            async with self._redis.pipeline(transaction=False) as pipe:
                for keys, args in calls:
                    pipe.evalsha(self._append.sha, len(keys), *keys, *args)
                return await pipe.execute()

        try:
            try:
                seqs = await run()
            except NoScriptError:  # Redis restarted (or flushed its scripts): load it, then once more
                await self._redis.script_load(_APPEND)
                seqs = await run()
        except RedisError as exc:
            raise BusUnavailable(f"outbox append of {len(messages)} message(s) failed: {exc}") from exc
        return [int(seq) for seq in seqs]

    async def append_once(self, stream: str, type: str, data: dict[str, Any], *, key: str,
                          ttl: float) -> int | None:
        if not key:
            raise ValueError("append_once needs a key")
        return await self._run_append(stream, type, data, key, ttl)

    def _append_call(self, stream: str, type: str, data: dict[str, Any], once: str | None,
                     ttl: float) -> tuple[list[str], list[str | int]]:
        """The keys and arguments of one run of the append script."""
        _check_names(stream, type)
        key = self._key(stream)
        args: list[str | int] = [self._retention, type, json.dumps(data, separators=(",", ":")), self._ttl_ms,
                                 self._channel, stream, "" if once is None else max(1, int(ttl * 1000))]
        return [key, key + ":seq", f"{key}:once:{once or ''}"], args

    async def _run_append(self, stream: str, type: str, data: dict[str, Any], once: str | None,
                          ttl: float) -> int | None:
        keys, args = self._append_call(stream, type, data, once, ttl)
        try:
            seq = await self._append(keys=keys, args=args)
        except RedisError as exc:
            raise BusUnavailable(f"outbox append to {stream!r} failed: {exc}") from exc
        return int(seq) or None

    async def last_seq(self, stream: str) -> int:
        try:
            value = await self._redis.get(self._key(stream) + ":seq")
        except RedisError as exc:
            raise BusUnavailable(f"outbox last_seq of {stream!r} failed: {exc}") from exc
        return int(value) if value is not None else 0

    async def read(self, stream: str, after_seq: int, timeout: float) -> list[OutboxMessage]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._ensure_listener()
        while True:
            self._cache.interest(stream, loop.time())
            wake = self._waiters.register(stream)
            try:
                found = self._cache.answer(stream, after_seq)
                if found is None:
                    found = await self._read_now(stream, after_seq)
                if found:
                    return found
                if not await wait_event(wake, deadline - loop.time()):
                    return await self._read_now(stream, after_seq)  # the record, in case we missed a wake
            finally:
                self._waiters.unregister(stream, wake)

    async def close(self) -> None:
        """Stop the pub/sub listener (readers still blocked then wait out their timeout)."""
        if self._listener is not None:
            await self._supervisor.cancel(self._listener.get_name())
            self._listener = None

    async def _read_now(self, stream: str, after_seq: int) -> list[OutboxMessage]:
        key = self._key(stream)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(key + ":seq")
                pipe.xrange(key, f"{max(after_seq, 0) + 1}-0", "+", count=self._retention)
                last, entries = await pipe.execute()
            if last is not None and after_seq > int(last):  # the stream was reset
                entries = await self._redis.xrange(key, "-", "+", count=self._retention)
        except RedisError as exc:
            raise BusUnavailable(f"outbox read of {stream!r} failed: {exc}") from exc
        return [self._message(entry_id, fields) for entry_id, fields in entries or ()]

    @staticmethod
    def _message(entry_id: Any, fields: dict[Any, Any]) -> OutboxMessage:
        values = {_text(k): _text(v) for k, v in fields.items()}
        return OutboxMessage(int(_text(entry_id).split("-", 1)[0]), values["t"], text=values["d"])

    def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            name = f"bus.outbox.listener:{id(self):x}"
            self._listener = self._supervisor.spawn(name, self._listen)

    def _heard(self, raw: Any) -> None:
        """One published append: ``stream\nseq\ntype\ndata`` (anything else only wakes)."""
        stream, _, rest = _text(raw).partition("\n")
        if not self._cache.watching(stream):  # no local reader asked lately: nothing to keep
            self._waiters.wake(stream)
            return
        try:
            seq, type, data = rest.split("\n", 2)
            if not (data.startswith("{") and data.endswith("}")):  # ours is always a JSON object
                raise ValueError("not a JSON object")
            message = OutboxMessage(int(seq), type, text=data)
        except ValueError:
            log.warning("outbox listener: unexpected notification for %s; reading Redis", stream)
            self._cache.forget(stream)
        else:
            self._cache.heard(stream, message)
        self._waiters.wake(stream)

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        delay = 0.1
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                self._cache.clear()  # what was heard before may have holes now
                self._waiters.wake_all()  # anything appended before we listened gets re-read
                delay = 0.1
                heard_at = next_ping = next_sweep = loop.time()
                while True:
                    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    raise_if_cancelling()  # redis-py can swallow a cancellation that meets its read timeout
                    now = loop.time()
                    if msg is not None:
                        heard_at = now
                        if msg.get("type") == "message":
                            self._heard(msg["data"])
                    if now - heard_at > self._dead_after:
                        raise ConnectionError(f"nothing heard for {now - heard_at:.0f} s, not even a pong")
                    if now >= next_ping:
                        await pubsub.ping()
                        next_ping = now + PING_EVERY
                    if now >= next_sweep:
                        self._cache.sweep(now)
                        next_sweep = now + 30.0
            except (RedisError, OSError) as exc:
                raise_if_cancelling()
                log.warning("outbox listener lost Redis (%r); retrying in %.1f s", exc, delay)
                self._cache.clear()
                self._waiters.wake_all()
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)
            finally:
                with contextlib.suppress(RedisError, OSError, TimeoutError):
                    await asyncio.wait_for(pubsub.aclose(), 1.0)
