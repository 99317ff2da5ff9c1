"""Frames for the screens, through the per-agent outbox (every worker's sockets read it):

* ``payment`` to the customer's assigned agent and the agent on the customer's call: a payment was
  posted (amount, receipt, how it was matched, the promises it kept);
* ``payment.request`` to the agent who asked: the request's state, live (sent, waiting for the
  PIN, paid with the receipt, failed with the reason in words, unknown);
* ``payment.suspense`` to the supervisors: a payment landed in suspense, or left it.

The money is already committed when these go out: a failing outbox is logged, never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from bus.base import Outbox
from bus.outbox_names import PAYMENT, PAYMENT_REQUEST, PAYMENT_SUSPENSE, SUPERVISORS, agent_stream

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, outbox: Outbox | None) -> None:
        self.outbox = outbox

    async def _send(self, messages: list[tuple[str, str, dict[str, Any]]]) -> None:
        if self.outbox is None or not messages:
            return
        try:
            await self.outbox.append_many(messages)
        except Exception:
            log.exception("mpesa: could not push %s", ", ".join(sorted({t for _, t, _ in messages})))

    async def payment(self, usernames: Iterable[str], data: dict[str, Any]) -> None:
        await self.payments([(usernames, data)])

    async def payments(self, frames: Iterable[tuple[Iterable[str], dict[str, Any]]]) -> None:
        """Several ``payment`` frames in one outbox write (a batch of confirmations)."""
        await self._send([(agent_stream(name), PAYMENT, data) for usernames, data in frames
                          for name in dict.fromkeys(usernames)])

    async def request(self, username: str | None, data: dict[str, Any]) -> None:
        if username:
            await self._send([(agent_stream(username), PAYMENT_REQUEST, data)])

    async def suspense(self, data: dict[str, Any]) -> None:
        await self._send([(SUPERVISORS, PAYMENT_SUSPENSE, data)])
