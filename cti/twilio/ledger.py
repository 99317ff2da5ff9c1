"""Which Twilio callbacks were handled, and what was answered: so that a repeat changes nothing.

Twilio repeats a webhook when our answer was slow or lost. The service asks the ledger whether a
callback (its keys: the CallSid with the status, and with the sequence number) is new, and keeps
its TwiML answer to give the same answer to a repeat. :class:`MemoryLedger` lives in one process
(tests, one worker); :class:`store.repositories.webhook_receipts.WebhookReceipts` keeps it in the database, so
that a repeat is recognised after a restart and by another worker.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

from cti.twilio.webhooks import TwilioCallback, callback_keys

MAX_KEY = 200


def ledger_keys(kind: str, cb: TwilioCallback) -> list[str]:
    """The callback's keys as text; the first one also names its answer."""
    return [("twilio:" + ":".join(key))[:MAX_KEY] for key in callback_keys(kind, cb)]


class CallbackLedger(Protocol):
    async def first_time(self, keys: Sequence[str]) -> bool:
        """True when none of ``keys`` was seen (they are then remembered), False for a repeat."""

    async def answer(self, key: str) -> str | None:
        """The answer remembered for ``key``, if any."""

    async def remember(self, key: str, answer: str) -> None: ...


class MemoryLedger:
    """One process's ledger, bounded: the oldest keys are forgotten past ``max_entries``."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._seen: OrderedDict[str, str | None] = OrderedDict()
        self._max = max_entries

    async def first_time(self, keys: Sequence[str]) -> bool:
        if any(key in self._seen for key in keys):
            return False
        for key in keys:
            self._seen[key] = None
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return True

    async def answer(self, key: str) -> str | None:
        return self._seen.get(key)

    async def remember(self, key: str, answer: str) -> None:
        self._seen[key] = answer
