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
from typing import Any, Literal, Protocol

import aiohttp


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


class TransportError(Exception):
    """A request that got no HTTP answer. ``sent`` False: it never left (no connection, no free
    connection in time, a bad URL): another provider may be tried at once. True: it may have gone
    out (a timeout or a dropped connection after it was written): the send is ambiguous."""

    def __init__(self, detail: str, *, sent: bool) -> None:
        super().__init__(detail)
        self.sent = sent


def transport_outcome(provider: str, exc: TransportError, provider_message_id: str | None = None) -> Outcome:
    """A transport error as an outcome: before the request was written it is a definite failure,
    after it an ambiguous one."""
    if not exc.sent:
        return Refused(provider, f"{provider} could not be reached ({exc})")
    return Ambiguous(provider, f"no answer from {provider} after the request was sent ({exc})",
                     provider_message_id)


def http_refusal(provider: str, status_code: int, text: str) -> Refused:
    return Refused(provider, f"{provider} answered HTTP {status_code}: {text[:200]}")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """``connect``: to open a connection, or to wait for a free one (nothing is sent before);
    ``request``: for the answer once the request is written (then the send is ambiguous)."""

    connect: float
    request: float


# Errors raised before a byte of the request was written: nothing went out.
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL,
             aiohttp.NonHttpUrlClientError)


class ClientPool:
    """The providers' HTTP client: one aiohttp session whose connector keeps up to ``in_flight``
    connections. httpx cost ~0.9 ms of CPU per SMS request (its pool and anyio layers; with one
    client of 32 connections ~7 ms), aiohttp ~0.2 ms: the sender starts 32 sends at once, and that
    CPU was a stall of the event loop that the API's requests waited behind (bench/sms_outbox.py).
    The session is made on first use (aiohttp wants a running loop). No redirects are followed,
    no cookies kept, no proxy settings read from the environment. aiohttp repeats a request whose
    kept-alive connection turned out closed only for idempotent methods: a send (POST) never."""

    def __init__(self, in_flight: int, timeout: Timeouts) -> None:
        self.in_flight = max(1, in_flight)
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # total: a server that trickles its answer is still bounded (connect < total, so a
            # total timeout always falls after the request was written: ambiguous)
            limit = aiohttp.ClientTimeout(total=self.timeout.connect + self.timeout.request,
                                          connect=self.timeout.connect, sock_connect=self.timeout.connect,
                                          sock_read=self.timeout.request)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.in_flight, limit_per_host=0),
                timeout=limit, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False)
        return self._session

    async def request(self, method: str, url: str, *, headers: dict[str, str], form: dict[str, str] | None = None,
                      json: Any = None, params: dict[str, str] | None = None) -> tuple[int, bytes]:
        """The answer's status and body; :class:`TransportError` when there is none."""
        try:
            async with self._open().request(method, url, headers=headers, data=form, json=json, params=params,
                                            allow_redirects=False) as response:
                return response.status, await response.read()
        except _NOT_SENT as exc:
            raise TransportError(f"{type(exc).__name__}: {exc or 'no detail'}", sent=False) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise TransportError(type(exc).__name__, sent=True) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
