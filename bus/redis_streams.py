"""The event bus across processes: Redis Streams with consumer groups.

* One stream per event type: ``<prefix>ev:<type_name>`` (XADD ``MAXLEN ~ maxlen``), field ``e`` =
  the JSON of :func:`domain.events.encode_event`. ``publish`` returns once Redis has the entry.
* A bus *group* is a Redis consumer group of that name on every stream it reads; subscribing to a
  base class reads the streams of every registered subclass (``EVENT_TYPES``). Each worker is a
  consumer named ``worker_id``: the workers of one group share the events, each event once.
* One supervised loop per group: ``XREADGROUP ... BLOCK`` over its streams, the entries of a read
  taken in id order (strict order per event type; across types, best effort by Redis id) and
  handed to the group's :class:`bus.ordering.KeyedRunner`: one at a time, or with
  ``concurrency=N`` up to N at once in order per call, agent and customer. The loop reads on while
  handlers run (a full runner holds it back). Entries whose handlers returned are acked together,
  one ``XACK`` per stream sent in the same round trip as the next ``XREADGROUP`` (which blocks at
  most ``ACK_WAIT_MS`` while handlers run), and before the loop ends. A handler that still fails
  after ``max_attempts`` is logged, the event copied to ``<stream>:dead`` and acked, so nothing
  wedges.
* Crash safety: an entry left un-acked by a dead consumer is taken over with ``XAUTOCLAIM`` once
  idle for ``claim_idle`` s. Entries this worker holds longer than a third of that (slow, or
  waiting behind a slow one of their call) have their claim refreshed by one supervised keeper
  task per bus, so they are not stolen. An entry delivered more than ``max_deliveries`` times is
  dead-lettered instead. Delivery is therefore at least once: handlers should be idempotent.
  A dead worker's consumer names leave the groups once its heartbeat expired (:mod:`bus.heartbeat`).
* A new group starts at the stream's end (``$``); groups are created in :meth:`start`, so events
  published after ``start`` returns are never missed. Redis errors in the loops are logged and
  retried with backoff (0.1 s doubling to 5 s); ``publish`` raises :class:`BusUnavailable`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bus.base import BusUnavailable, E, Handler, default_group
from bus.dispatch import Subscriptions, dispatch
from bus.heartbeat import HEARTBEAT_SECONDS, WorkerHeartbeat
from bus.ordering import KeyedRunner, ordering_keys
from bus.waiters import wait_event
from domain.errors import ProtocolViolation
from domain.events import EVENT_TYPES, Event, decode_event, encode_event
from runtime.supervisor import TaskSupervisor, raise_if_cancelling

log = logging.getLogger(__name__)

Entry = tuple[str, str, dict[str, str] | None]  # stream, id, fields (None: entry was trimmed)
ACK_WAIT_MS = 20  # the longest an ack waits for the next read while handlers are running


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class RedisStreamsBus:
    def __init__(
        self,
        redis: Redis,
        supervisor: TaskSupervisor,
        *,
        worker_id: str,
        prefix: str = "sb:",
        maxlen: int = 100_000,
        block_ms: int = 1000,
        batch: int = 100,
        max_attempts: int = 3,
        retry_delay: float = 0.05,
        claim_idle: float = 30.0,
        max_deliveries: int = 5,
        forget_consumer_after: float = 3600.0,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        stop_timeout: float = 5.0,
    ) -> None:
        self._redis = redis
        self._supervisor = supervisor
        self._consumer = worker_id
        self._prefix = prefix
        self._maxlen = maxlen
        self._block_ms = block_ms
        self._batch = batch
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._claim_idle_ms = max(1, int(claim_idle * 1000))
        self._claim_every = max(0.05, claim_idle / 2)
        self._heartbeat = max(0.05, claim_idle / 3)
        self._max_deliveries = max_deliveries
        self._forget_ms = int(forget_consumer_after * 1000)
        self.heartbeat = WorkerHeartbeat(redis, worker_id, prefix=prefix, ttl=heartbeat_seconds)
        self._stop_timeout = stop_timeout
        self._subs = Subscriptions()
        self._created: set[tuple[str, str]] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._started = False
        self._stopping = False
        self._stop_requested = asyncio.Event()
        self._generation = 0
        self._held: dict[tuple[str, str], dict[str, float]] = {}  # (group, stream) -> entry id -> since
        self._keeper: asyncio.Task[None] | None = None
        self._streams: dict[str, list[str]] = {}  # group -> the streams it reads

    def stream_key(self, type_name: str) -> str:
        return f"{self._prefix}ev:{type_name}"

    @property
    def redis(self) -> Redis:
        return self._redis

    @property
    def maxlen(self) -> int:
        return self._maxlen

    def group_streams(self) -> dict[str, list[str]]:
        """The streams each running group of this worker reads (``bus.lag``: the metrics)."""
        return {group: self._streams_for(group) for group in self._tasks}

    # -- EventBus -----------------------------------------------------------------------------

    def subscribe(self, event_type: type[E], handler: Handler[E], *, group: str | None = None,
                  concurrency: int = 1) -> None:
        group = group or default_group(handler)
        self._subs.add(event_type, handler, group, concurrency)
        self._streams.pop(group, None)
        if not self._streams_for(group):
            log.warning("bus: no registered event type is a %s; %s will get nothing",
                        event_type.__name__, group)
        if self._started and group not in self._tasks:
            self._spawn(group)

    async def publish(self, event: Event) -> None:
        payload = json.dumps(encode_event(event), separators=(",", ":"))
        try:
            await self._redis.xadd(self.stream_key(event.type_name), {"e": payload},
                                   maxlen=self._maxlen, approximate=True)
        except RedisError as exc:
            raise BusUnavailable(f"cannot publish {event.type_name}: {exc}") from exc

    async def publish_many(self, events: Sequence[Event]) -> None:
        """One pipeline of XADDs (no MULTI): one connection and one round trip for the batch."""
        if not events:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.xadd(self.stream_key(event.type_name),
                              {"e": json.dumps(encode_event(event), separators=(",", ":"))},
                              maxlen=self._maxlen, approximate=True)
                await pipe.execute()
        except RedisError as exc:
            raise BusUnavailable(f"cannot publish {len(events)} events: {exc}") from exc

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        for group in self._subs.groups():
            try:
                await self._ensure_groups(group, self._streams_for(group))
            except RedisError as exc:  # the consumer loop keeps trying
                log.warning("bus: cannot create group %s yet: %r", group, exc)
            self._spawn(group)
        self._keeper = self._supervisor.spawn(f"bus.redis.claims:{id(self):x}", self._keep_claims)
        self._supervisor.spawn(f"bus.redis.heartbeat:{id(self):x}", self.heartbeat.run)

    async def stop(self) -> None:
        """Let each loop finish its current batch (bounded by ``stop_timeout``), then cancel."""
        self._stopping = True
        self._stop_requested.set()
        tasks = list(self._tasks.values())
        if tasks and self._stop_timeout > 0:
            await asyncio.wait(tasks, timeout=self._stop_timeout)
        await self._supervisor.cancel(*(t.get_name() for t in tasks))
        self._tasks.clear()
        if self._keeper is not None:
            await self._supervisor.cancel(self._keeper.get_name())
            self._keeper = None
        await self._supervisor.cancel(f"bus.redis.heartbeat:{id(self):x}")
        await self.heartbeat.clear()

    async def leave(self, group: str) -> None:
        self._subs.remove_group(group)  # the loop sees no streams left and ends after its batch
        self._streams.pop(group, None)
        task = self._tasks.pop(group, None)
        if task is not None:
            if self._stop_timeout > 0:
                await asyncio.wait([task], timeout=self._stop_timeout)
            await self._supervisor.cancel(task.get_name())

    # -- consuming ----------------------------------------------------------------------------

    def _streams_for(self, group: str) -> list[str]:
        """The streams ``group`` reads (remembered until its subscriptions change)."""
        found = self._streams.get(group)
        if found is None:
            names = {
                name
                for sub in self._subs.in_group(group)
                for name, cls in EVENT_TYPES.items()
                if issubclass(cls, sub.event_type)
            }
            found = self._streams[group] = sorted(self.stream_key(n) for n in names)
        return found

    def _spawn(self, group: str) -> None:
        self._generation += 1
        name = f"bus.redis:{group}:{id(self):x}:{self._generation}"
        self._tasks[group] = self._supervisor.spawn(name, lambda: self._consume(group))

    async def _ensure_groups(self, group: str, streams: list[str]) -> None:
        for stream in streams:
            if (stream, group) in self._created:
                continue
            try:
                await self._redis.xgroup_create(stream, group, id="$", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            self._created.add((stream, group))

    async def _consume(self, group: str) -> None:
        loop = asyncio.get_running_loop()
        runner = KeyedRunner(f"bus.redis:{group}", self._subs.concurrency(group))
        delay = 0.1
        own_pending_done = False
        next_claim = 0.0
        acks: dict[str, list[str]] = {}  # handled entries, acked with the next read
        try:
            while not self._stopping:
                streams = self._streams_for(group)
                if not streams:  # left (or nothing to read)
                    return
                try:
                    await self._ensure_groups(group, streams)
                    if not own_pending_done:  # entries this consumer name got before a restart
                        await runner.drain(self._claim_idle_ms / 1000)  # none of them still running
                        await self._read(group, streams, "0", None, acks, runner)
                        own_pending_done = True
                    if loop.time() >= next_claim:
                        await self._reclaim(group, streams, acks, runner)
                        next_claim = loop.time() + self._claim_every
                    # while handlers run, read with a short block so their acks go out soon after
                    block = self._block_ms if not len(runner) else min(self._block_ms, ACK_WAIT_MS)
                    await self._read(group, streams, ">", block, acks, runner)
                    delay = 0.1
                except ResponseError as exc:
                    raise_if_cancelling()
                    if "NOGROUP" not in str(exc):
                        raise
                    log.warning("bus: group %s vanished (stream deleted?); recreating", group)
                    self._created = {(s, g) for s, g in self._created if g != group}
                    acks.clear()
                except (RedisError, OSError) as exc:
                    raise_if_cancelling()
                    log.warning("bus: group %s lost Redis (%r); retrying in %.1f s", group, exc, delay)
                    own_pending_done = False  # re-read (and handle again) what we took but did not ack
                    await wait_event(self._stop_requested, delay)
                    delay = min(5.0, delay * 2)
        finally:
            try:
                await runner.drain(self._stop_timeout)
            finally:
                await runner.cancel()
                if acks:
                    try:
                        await self._ack(group, acks)
                    except (RedisError, OSError) as exc:  # they are delivered again: at least once
                        log.warning("bus: group %s could not ack on its way out: %r", group, exc)

    async def _ack(self, group: str, acks: dict[str, list[str]]) -> None:
        await self._acks_then(group, acks, None)

    async def _acks_then(self, group: str, acks: dict[str, list[str]], read: dict[str, Any] | None) -> Any:
        """One round trip: an XACK per stream of ``acks`` (then cleared), then the XREADGROUP
        ``read`` if given; returns the read's response."""
        sent = {stream: ids for stream, ids in acks.items() if ids}
        acks.clear()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for stream, ids in sent.items():
                    pipe.xack(stream, group, *ids)
                if read is not None:
                    pipe.xreadgroup(group, self._consumer, **read)
                results = await pipe.execute()
        except BaseException:
            for stream, ids in sent.items():  # sent again with the next read
                acks.setdefault(stream, [])[:0] = ids
            raise
        return results[-1] if read is not None else None

    async def _read(self, group: str, streams: list[str], start: str, block: int | None,
                    acks: dict[str, list[str]], runner: KeyedRunner) -> None:
        read: dict[str, Any] = {"streams": dict.fromkeys(streams, start), "count": self._batch, "block": block}
        response: Any
        if acks:  # the acks of the last batch go with the next read
            response = await self._acks_then(group, acks, read)
        else:
            response = await self._redis.xreadgroup(group, self._consumer, **read)
        entries: list[Entry] = []
        items = response.items() if isinstance(response, dict) else (response or [])
        for stream, stream_entries in items:
            for entry_id, fields in stream_entries or ():
                decoded = {_text(k): _text(v) for k, v in fields.items()} if fields else None
                entries.append((_text(stream), _text(entry_id), decoded))
        entries.sort(key=lambda e: _id_key(e[1]))
        for stream, entry_id, fields in entries:
            await self._submit(group, stream, entry_id, fields, acks, runner)

    async def _submit(self, group: str, stream: str, entry_id: str, fields: dict[str, str] | None,
                      acks: dict[str, list[str]], runner: KeyedRunner) -> None:
        """Decode the entry and hand it to the runner; it is acked (with the next read) once its
        handlers returned. An undecodable entry is dead-lettered here; a trimmed one is acked."""
        if fields is None:  # trimmed away while pending
            acks.setdefault(stream, []).append(entry_id)
            return
        try:
            event = decode_event(json.loads(fields["e"]))
        except (KeyError, ValueError, ProtocolViolation) as exc:
            log.error("bus: undecodable entry %s in %s: %s", entry_id, stream, exc)
            await self._dead_letter(stream, group, entry_id, fields, f"undecodable: {exc}")
            return
        held = self._held.setdefault((group, stream), {})
        held[entry_id] = asyncio.get_running_loop().time()

        async def handle() -> None:
            try:
                failures = await dispatch(event, self._subs.matching(group, type(event)),
                                          max_attempts=self._max_attempts, retry_delay=self._retry_delay)
                if failures:
                    why = "; ".join(f"{f.subscription.handler_name}: {f.error!r}" for f in failures)
                    await self._dead_letter(stream, group, entry_id, fields, why)
                else:
                    acks.setdefault(stream, []).append(entry_id)
            finally:
                held.pop(entry_id, None)

        await runner.submit(ordering_keys(event), handle)

    async def _keep_claims(self) -> None:
        """Refresh the claim on every entry held longer than ``heartbeat`` (one XCLAIM per stream)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._heartbeat)
            old = loop.time() - self._heartbeat
            for (group, stream), held in list(self._held.items()):
                ids: list[Any] = [entry_id for entry_id, since in list(held.items()) if since <= old]
                if ids:
                    try:
                        await self._redis.xclaim(stream, group, self._consumer, 0, ids, justid=True)
                    except (RedisError, OSError) as exc:  # tried again next beat
                        raise_if_cancelling()
                        log.warning("bus: cannot refresh %d claim(s) in %s: %r", len(ids), stream, exc)

    async def _dead_letter(
        self, stream: str, group: str, entry_id: str, fields: dict[str, str], why: str
    ) -> None:
        record: dict[Any, Any] = {"stream": stream, "group": group, "id": entry_id, "error": why[:2000],
                  "worker": self._consumer, "e": fields.get("e", "")}
        await self._redis.xadd(f"{stream}:dead", record, maxlen=10_000, approximate=True)
        await self._redis.xack(stream, group, entry_id)

    async def _reclaim(self, group: str, streams: list[str], acks: dict[str, list[str]],
                       runner: KeyedRunner) -> None:
        for stream in streams:
            start = "0-0"
            for _ in range(10):  # bounded: at most 10 batches per stream per round
                response: Any = await self._redis.xautoclaim(
                    stream, group, self._consumer, self._claim_idle_ms, start_id=start, count=self._batch
                )
                next_id, claimed = _text(response[0]), response[1]
                for entry_id_raw, fields in claimed:
                    entry_id = _text(entry_id_raw)
                    decoded = {_text(k): _text(v) for k, v in fields.items()} if fields else None
                    await self._take_over(group, stream, entry_id, decoded, acks, runner)
                if next_id == "0-0":
                    break
                start = next_id
            await self._forget_idle_consumers(stream, group)

    async def _take_over(self, group: str, stream: str, entry_id: str, fields: dict[str, str] | None,
                         acks: dict[str, list[str]], runner: KeyedRunner) -> None:
        info = await self._redis.xpending_range(stream, group, entry_id, entry_id, 1)
        deliveries = int(info[0]["times_delivered"]) if info else 1
        if fields is not None and deliveries > self._max_deliveries:
            log.error("bus: %s in %s delivered %d times; dead-lettering", entry_id, stream, deliveries)
            await self._dead_letter(stream, group, entry_id, fields, f"delivered {deliveries} times")
            return
        log.warning("bus: group %s took over %s in %s (delivery %d)", group, entry_id, stream, deliveries)
        await self._submit(group, stream, entry_id, fields, acks, runner)

    async def _forget_idle_consumers(self, stream: str, group: str) -> None:
        """Remove consumers with nothing pending that are idle for an hour, or whose worker's
        heartbeat has expired and are idle longer than its ttl (:mod:`bus.heartbeat`)."""
        quiet: dict[str, int] = {}
        for consumer in await self._redis.xinfo_consumers(stream, group):
            name = _text(consumer["name"])
            if name != self._consumer and int(consumer["pending"]) == 0:
                quiet[name] = int(consumer["idle"])
        gone = [n for n, idle in quiet.items() if idle > self._forget_ms]
        maybe = [n for n, idle in quiet.items() if self.heartbeat.ttl * 1000 < idle <= self._forget_ms]
        gone += sorted(await self.heartbeat.dead(maybe))
        for name in gone:
            await self._redis.xgroup_delconsumer(stream, group, name)
            log.debug("bus: consumer %s removed from group %s of %s (its worker is gone)", name, group, stream)
