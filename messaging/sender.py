"""The sender: workers that claim queued messages and send each once.

One :class:`Sender` per process runs :meth:`Sender.run` (under the task supervisor); several
processes may run it on the same database. Each loop claims as many due ``queued`` rows as it has
free slots (``concurrency``): a claim is one statement that moves them to ``sending`` under this
worker's name (store/repositories/messages.py), so no two workers ever hold the same message.
Each claimed message is then sent in its own task:

- SMS: the providers in the configured order, each behind its circuit breaker and rate limit.
  Accepted: ``sent``. Refused (connection refused, 4xx/5xx, cannot route): the next provider at
  once. Refused for the recipient (invalid number): ``failed``. Ambiguous (timeout after the
  request went out): ``unknown``, and no other provider is tried: it is settled by its delivery
  report or a lookup (:meth:`Sender.settle`), never re-sent blindly. Every provider refused it:
  ``queued`` again a little later (nothing went out), ``failed`` after ``max_attempts`` rounds.
- Email: SMTP (messaging/email.py), with the same three kinds of outcome.

The outcomes are written by the claim loop, together with its next claims, in one transaction (a
group commit; the outcomes in one statement), and only where the row is still this worker's
``sending`` one. A worker that dies
mid-send leaves ``sending`` rows; :meth:`Sender.reap` makes them ``unknown`` after
``claim_seconds`` (they may have gone out).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from config.messaging_settings import SmsSettings
from domain.compliance.messages import MESSAGE_HOURS
from domain.errors import StoreUnavailable
from domain.events import Event, MessageStatusChanged
from domain.message_status import BLOCKED, FAILED, QUEUED, SENT, UNKNOWN
from messaging.breakers import ProviderBreakers
from messaging.email import EmailSender
from messaging.providers.base import Accepted, Ambiguous, Outcome, Refused, SmsProvider, SmsRequest
from messaging.rates import ProviderRates
from store.db import Database
from store.models import Message
from store.repositories.messages import MessageRepository

log = logging.getLogger(__name__)
Publish = Callable[[Event], Awaitable[None]]


def status_event(message: Message, status: str, *, provider: str | None = None,
                 reason: str | None = None) -> MessageStatusChanged:
    return MessageStatusChanged(message_id=message.id, customer_id=message.customer_id, channel=message.channel,
                                direction=message.direction, status=status, provider=provider, reason=reason,
                                bulk_id=message.bulk_id, sent_by_id=message.created_by_id)


class Sender:
    def __init__(self, database: Database, settings: SmsSettings, *, providers: dict[str, SmsProvider],
                 breakers: ProviderBreakers, rates: ProviderRates, email: EmailSender | None, worker_id: str,
                 publish: Publish, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.settings = settings
        self.providers = providers
        self.order = [name for name in settings.providers if name in providers]
        self.breakers = breakers
        self.rates = rates
        self.email = email
        self.worker = worker_id
        self.publish = publish
        self.clock = clock
        self.wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()
        self._outcomes: list[tuple[Message, dict[str, Any]]] = []
        self.channels = [c for c, on in (("sms", bool(self.order)), ("email", email is not None)) if on]

    def poke(self) -> None:
        """A message was queued in this process: look now, not at the next poll."""
        self.wake.set()

    # --- the claim loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Each pass is one transaction: the outcomes that came back since the last pass are
        written and the free slots are filled with new claims (a group commit: one commit for
        many messages, not one per message)."""
        if not self.channels:
            return
        try:
            while True:
                outcomes, self._outcomes = self._outcomes, []
                free = self.settings.concurrency - len(self._in_flight)
                claimed: list[Message] = []
                written: list[tuple[Message, dict[str, Any]]] = []
                if outcomes or free > 0:
                    try:
                        async with self.database.session() as session:
                            repo = MessageRepository(session)
                            if outcomes:
                                done = await repo.finish_many(self.worker, [(m.id, v) for m, v in outcomes])
                                for message, values in outcomes:
                                    if message.id in done:
                                        written.append((message, values))
                                    else:
                                        log.info("message %s changed while it was being sent (a report came "
                                                 "first); kept as it is", message.id)
                            if free > 0:
                                claimed = await repo.claim(self.worker, self.clock(), free, self.channels)
                    except StoreUnavailable:
                        self._outcomes = outcomes + self._outcomes  # never lose an outcome to a busy store
                        log.warning("the outbox could not be written; trying again")
                        await asyncio.sleep(0.5)
                        continue
                for message, values in written:
                    await self.publish(status_event(message, values["status"], provider=values.get("provider"),
                                                    reason=values.get("reason")))
                for message in claimed:
                    task = asyncio.get_running_loop().create_task(self._send_one(message),
                                                                  name=f"sms-send-{message.id}")
                    self._in_flight.add(task)
                    task.add_done_callback(self._finished)
                if claimed and len(self._in_flight) < self.settings.concurrency:
                    continue  # there may be more
                if not self._outcomes:
                    await self._idle()
        finally:
            await self._drain()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sending a message failed", exc_info=task.exception())

    async def _idle(self) -> None:
        """Until an outcome comes back, a poke, or the poll interval."""
        self.wake.clear()
        self._slot_freed.clear()
        waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(self._slot_freed.wait())]
        try:
            await asyncio.wait(waiters, timeout=self.settings.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _drain(self) -> None:
        """At shutdown: let the sends in flight finish (bounded) and write their outcomes."""
        if self._in_flight:
            await asyncio.wait(list(self._in_flight), timeout=self.settings.request_timeout + 1)
        outcomes, self._outcomes = self._outcomes, []
        if outcomes:
            async with self.database.session() as session:
                await MessageRepository(session).finish_many(self.worker, [(m.id, v) for m, v in outcomes])

    # --- one message ------------------------------------------------------------------------------

    async def _send_one(self, message: Message) -> None:
        if message.not_after is not None and self.clock() >= message.not_after:
            values: dict[str, Any] = {"status": BLOCKED, "rule": MESSAGE_HOURS, "updated_at": self.clock(),
                                      "reason": "the hours for messages ended before it could be sent"}
        elif message.channel == "email":
            outcome: Outcome = await self.email.send(message) if self.email else \
                Refused("smtp", "email is not set up (SWITCHBOARD_SMTP__HOST)", elsewhere=False)
            values = self._values(message, outcome, [])
        else:
            values = await self._send_sms(message)
        self._outcomes.append((message, values))  # written by the next pass of :meth:`run`
        self._slot_freed.set()

    async def _send_sms(self, message: Message) -> dict[str, Any]:
        request = SmsRequest(message.id, message.to_address, message.body, f"sb-{message.id}-{message.attempts}")
        tried: list[str] = []
        for name in self.order:
            provider = self.providers[name]

            async def attempt(provider: SmsProvider = provider, name: str = name) -> Outcome:
                if not await self.rates.acquire(name):
                    return Refused(name, f"{name}: the send rate stayed full")
                return await provider.send(request)

            outcome = await self.breakers.call(name, attempt)
            if isinstance(outcome, Accepted | Ambiguous) or (isinstance(outcome, Refused) and not outcome.elsewhere):
                return self._values(message, outcome, tried)
            tried.append(outcome.reason)
        return self._values(message, None, tried)

    def _values(self, message: Message, outcome: Outcome | None, tried: list[str]) -> dict[str, Any]:
        now = self.clock()
        values: dict[str, Any] = {"updated_at": now, "worker": None}
        earlier = "; ".join(tried)
        if isinstance(outcome, Accepted):
            values.update(status=outcome.status if outcome.status != "delivered" else SENT, sent_at=now,
                          provider=outcome.provider, provider_message_id=outcome.provider_message_id,
                          cost=outcome.cost, reason=f"after: {earlier}"[:500] if earlier else None)
        elif isinstance(outcome, Ambiguous):
            values.update(status=UNKNOWN, provider=outcome.provider, provider_message_id=outcome.provider_message_id,
                          reason=outcome.reason[:500])
        elif isinstance(outcome, Refused):
            values.update(status=FAILED, provider=outcome.provider, reason=outcome.reason[:500])
        elif message.attempts < self.settings.max_attempts:
            values.update(status=QUEUED, not_before=now + timedelta(seconds=self.settings.retry_seconds),
                          reason=f"not sent yet, tried again at {message.attempts + 1}: {earlier}"[:500])
        else:
            values.update(status=FAILED, reason=f"every provider refused it {message.attempts} times: {earlier}"[:500])
        return values

    # --- housekeeping (each under the supervisor) -------------------------------------------------

    async def reap(self) -> None:
        """Every 10 s: ``sending`` rows older than ``claim_seconds`` become ``unknown``."""
        while True:
            now = self.clock()
            async with self.database.session() as session:
                expired = await MessageRepository(session).expire_claims(
                    now, now - timedelta(seconds=self.settings.claim_seconds))
            for message in expired:
                log.warning("message %s: its worker %s stopped while sending: unknown", message.id, message.worker)
                await self.publish(status_event(message, UNKNOWN, reason=message.reason))
            await asyncio.sleep(10.0)

    async def settle(self) -> None:
        """Every ``lookup_seconds``: ask the providers that have a lookup about ``unknown`` messages."""
        while True:
            for name, provider in self.providers.items():
                try:
                    await self._settle(name, provider)
                except Exception:
                    log.exception("looking up unknown %s messages failed", name)
            await asyncio.sleep(self.settings.lookup_seconds)

    async def _settle(self, name: str, provider: SmsProvider) -> None:
        async with self.database.session() as session:
            waiting = await MessageRepository(session).unknown_with_ids(name)
        for message in waiting:
            assert message.provider_message_id is not None
            found = await provider.lookup(message.provider_message_id)
            if found is None:
                return  # this provider has no lookup
            now = self.clock()
            async with self.database.session() as session:
                repo = MessageRepository(session)
                if found.found and found.status:
                    values: dict[str, Any] = {"updated_at": now, "sent_at": now}
                    if found.reason:
                        values["reason"] = f"{name}: {found.reason}"[:500]
                    if found.cost:
                        values["cost"] = found.cost
                    if found.status == "delivered":
                        values["delivered_at"] = now
                    changed = await repo.report(message.id, found.status, values)
                    status = found.status
                elif not found.found and (message.claimed_at or message.created_at) < now - timedelta(
                        seconds=self.settings.unknown_grace_seconds):
                    changed = await repo.requeue_unknown(message.id, now, f"{name} has no record of it: sent again")
                    status = QUEUED
                else:
                    continue
            if changed:
                await self.publish(status_event(message, status, provider=name))
                if status == QUEUED:
                    self.poke()
