"""What a send can come to, and the provider contract.

- :class:`Accepted`: the provider took the message (its id, the cost when it says).
- :class:`Refused`: the provider did not take it, for sure. ``elsewhere`` True: another provider
  may (connection refused, a 4xx/5xx answer, no credit, cannot route): fail over at once. False:
  no provider will (the number is invalid or blacklisted): the message fails.
- :class:`Ambiguous`: the request went out and no usable answer came back (a timeout, a dropped
  connection, an unreadable 2xx). Never sent again blindly: the message becomes ``unknown`` and is
  settled by its delivery report or a lookup.
- :class:`Skipped`: the provider's circuit is open; it was not tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import httpx


@dataclass(frozen=True, slots=True)
class SmsRequest:
    """``reference``: our id for this attempt, unique (Infobip takes it as the messageId)."""

    message_id: int
    to: str  # E.164
    text: str
    reference: str


@dataclass(frozen=True, slots=True)
class Accepted:
    provider: str
    provider_message_id: str | None
    status: Literal["sent", "delivered"] = "sent"
    cost: str | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    provider: str
    reason: str
    elsewhere: bool = True


@dataclass(frozen=True, slots=True)
class Ambiguous:
    provider: str
    reason: str
    provider_message_id: str | None = None  # known before sending (Infobip: our reference)


@dataclass(frozen=True, slots=True)
class Skipped:
    provider: str
    reason: str


Outcome = Accepted | Refused | Ambiguous | Skipped


@dataclass(frozen=True, slots=True)
class Lookup:
    """A provider's answer about one message: its status now (sent/delivered/failed), or
    ``found`` False when the provider has no such message."""

    found: bool
    status: str | None = None
    reason: str | None = None
    cost: str | None = None


class SmsProvider(Protocol):
    name: str

    async def send(self, request: SmsRequest) -> Outcome: ...

    async def lookup(self, provider_message_id: str) -> Lookup | None:
        """None: the provider has no lookup (Africa's Talking); settled by reports only."""

    async def aclose(self) -> None: ...


def transport_outcome(provider: str, exc: httpx.HTTPError, provider_message_id: str | None = None) -> Outcome:
    """A transport error as an outcome: before the request was written it is a definite failure,
    after it an ambiguous one."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.UnsupportedProtocol):
        return Refused(provider, f"{provider} could not be reached ({type(exc).__name__}: {exc or 'no detail'})")
    return Ambiguous(provider, f"no answer from {provider} after the request was sent ({type(exc).__name__})",
                     provider_message_id)


def http_refusal(provider: str, status_code: int, text: str) -> Refused:
    return Refused(provider, f"{provider} answered HTTP {status_code}: {text[:200]}")


def timeouts(connect: float, request: float) -> httpx.Timeout:
    return httpx.Timeout(request, connect=connect, pool=connect)


class ClientPool:
    """Several small httpx clients used in turn. httpcore's pool looks at every connection it holds
    for each request it places (``_assign_requests_to_connections``), so one client with 32
    connections cost ~7 ms of CPU per SMS under load; 8 clients of 4 connections keep that cost
    small and still allow 32 requests in flight (bench/sms_outbox.py)."""

    PER_CLIENT = 4

    def __init__(self, in_flight: int, timeout: httpx.Timeout) -> None:
        count = max(1, -(-in_flight // self.PER_CLIENT))
        limits = httpx.Limits(max_connections=self.PER_CLIENT, max_keepalive_connections=self.PER_CLIENT)
        self.clients = [httpx.AsyncClient(timeout=timeout, limits=limits) for _ in range(count)]
        self._next = 0

    def pick(self) -> httpx.AsyncClient:
        self._next = (self._next + 1) % len(self.clients)
        return self.clients[self._next]

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
