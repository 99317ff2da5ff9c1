"""Twilio's repeated callbacks are recognised across a restart and by a second worker (issue 13, item
10): the ledger of handled callbacks is in the database (SQLite and PostgreSQL), not one process's
memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from config.settings import Settings, TwilioSettings
from cti.twilio.acd import TwilioAcd
from cti.twilio.carrier import TwilioCarrier
from cti.twilio.rest import TwilioRest
from cti.twilio.service import TwilioVoiceService
from domain.events import CallEnded, CallOffered, Event
from store.db import Database
from store.repositories.webhook_receipts import WebhookReceipts
from tests.twilio.helpers import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, PUBLIC_URL, call_sid, signed, voice_form


@dataclass
class Worker:
    service: TwilioVoiceService
    carrier: TwilioCarrier
    rest: TwilioRest
    events: list[Event] = field(default_factory=list)

    def count(self, kind: type[Event]) -> int:
        return sum(isinstance(e, kind) for e in self.events)


def _worker(database: Database) -> Worker:
    """One process's webhook service (a fresh ACD, as after a restart) over the shared database."""
    settings = Settings(public_url=PUBLIC_URL, twilio=TwilioSettings(
        account_sid=ACCOUNT_SID, auth_token=SecretStr(AUTH_TOKEN), caller_id=OUR_NUMBER,
        api_base="http://127.0.0.1:9"))
    events: list[Event] = []

    async def publish(event: Event) -> None:
        events.append(event)

    rest = TwilioRest(settings.twilio, request_timeout=1.0, retry_delays=(0.01,))
    service = TwilioVoiceService(settings, TwilioAcd(wrapup_seconds=0), publish, rest, default_queue="collections",
                                 ledger=WebhookReceipts(database))
    return Worker(service, TwilioCarrier(service), rest, events)


@pytest.fixture
async def workers(database: Database) -> AsyncIterator[tuple[Worker, Worker]]:
    first, second = _worker(database), _worker(database)
    for worker in (first, second):
        await worker.carrier.queue_add("collections", "client:amina", "amina")
        worker.events.clear()
    yield first, second
    for worker in (first, second):
        await worker.service.drain()
        await worker.rest.aclose()


async def test_a_repeat_after_a_restart_or_on_another_worker_changes_nothing(workers: tuple[Worker, Worker]) -> None:
    first, second = workers
    sid = call_sid()
    voice = signed("/twilio/voice", voice_form(sid), "queue=collections")
    answer = await first.service.handle_voice(voice)
    assert first.count(CallOffered) == 1 and "<Dial" in answer
    repeat = await second.service.handle_voice(voice)  # the repeat reaches the restarted / other process
    assert repeat == answer and second.events == []
    ended = signed("/twilio/status", voice_form(sid, status="completed", SequenceNumber="3"))
    await second.service.handle_status(ended)
    await first.service.handle_status(ended)
    assert second.count(CallEnded) + first.count(CallEnded) == 1


async def test_two_workers_racing_with_the_same_callback_handle_it_once(workers: tuple[Worker, Worker]) -> None:
    first, second = workers
    for _ in range(10):
        sid = call_sid()
        voice = signed("/twilio/voice", voice_form(sid), "queue=collections")
        before = first.count(CallOffered) + second.count(CallOffered)
        await asyncio.gather(first.service.handle_voice(voice), second.service.handle_voice(voice))
        assert first.count(CallOffered) + second.count(CallOffered) == before + 1


async def test_old_receipts_are_pruned(database: Database) -> None:
    from datetime import timedelta

    receipts = WebhookReceipts(database, keep=timedelta(seconds=0))
    assert await receipts.first_time(["twilio:voice:CA1:status:ringing"])
    assert not await receipts.first_time(["twilio:voice:CA1:status:ringing", "twilio:voice:CA1:seq:1"])
    await asyncio.sleep(0.01)
    assert await receipts.prune() == 2  # the repeat still stored its new sequence key
    assert await receipts.first_time(["twilio:voice:CA1:status:ringing"])
