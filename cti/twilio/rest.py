"""Thin I/O: Twilio's Calls API through the official ``twilio`` client on aiohttp.

``settings.twilio.api_base`` (tests: a local server) replaces ``https://api.twilio.com`` as the
API domain's base URL (``client.api.base_url``, read by ``twilio.base.domain.Domain``).

Retries, and why:

* 429 (rate limited): Twilio created nothing, so the request is sent again after a bounded
  backoff, a few times, then CarrierUnavailable (nothing sent; safe to try later).
* 5xx, a timeout or a dropped connection on CREATE: Twilio may already be dialling. It is never
  re-sent: DialOutcomeUnknown, reconciled from the call's status callbacks by its ``call_id``.
* A connection that could not be opened: nothing was sent, CarrierUnavailable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from config.settings import TwilioSettings
from domain.errors import CarrierError, CarrierRejected, CarrierUnavailable, DialOutcomeUnknown

log = logging.getLogger(__name__)

STATUS_CALLBACK_EVENTS = ("initiated", "ringing", "answered", "completed")


class CallNotFound(CarrierRejected):
    """The call no longer exists at Twilio (it ended)."""

    status = 404
    error_id = "call-not-found"


@dataclass(frozen=True, slots=True)
class CallResource:
    sid: str
    status: str


class TwilioRest:
    """Create and update calls. Build once (settings in), ``await aclose()`` at shutdown."""

    def __init__(
        self,
        settings: TwilioSettings,
        *,
        request_timeout: float = 10.0,
        retry_delays: Sequence[float] = (0.5, 1.0, 2.0),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._timeout = request_timeout
        self._delays = tuple(retry_delays)
        self._sleep = sleep
        self._client: Any = None
        self._http: Any = None

    def _calls(self) -> Any:
        if self._client is None:  # aiohttp needs a running loop: build on first use
            self._http = AsyncTwilioHttpClient(timeout=self._timeout)
            self._client = Client(
                self._settings.account_sid, self._settings.auth_token.get_secret_value(),
                http_client=self._http,
            )
            if self._settings.api_base:
                self._client.api.base_url = self._settings.api_base.rstrip("/")
        return self._client.calls

    def api(self) -> Any:
        """The official client, built on first use (the conference requests of ``cti.twilio.conference``)."""
        self._calls()
        return self._client

    async def send(self, what: str, send: Callable[[], Awaitable[Any]]) -> Any:
        """One request that creates nothing billable by itself being repeated: 429s retried, errors converted."""
        return await self._send(what, send, create=False)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = self._client = None

    async def create_call(
        self, *, to: str, from_: str, url: str, status_callback: str, timeout_seconds: int
    ) -> CallResource:
        """Place a call; raises CarrierUnavailable / CarrierRejected / DialOutcomeUnknown."""

        async def send() -> Any:
            return await self._calls().create_async(
                to=to, from_=from_, url=url, method="POST", status_callback=status_callback,
                status_callback_event=list(STATUS_CALLBACK_EVENTS), status_callback_method="POST",
                timeout=timeout_seconds,
            )

        call = await self._send("create", send, create=True)
        return CallResource(sid=str(call.sid), status=str(call.status))

    async def redirect_call(self, call_sid: str, url: str) -> CallResource:
        """Point a live call at new TwiML (a waiting caller to an agent); CallNotFound if it ended."""

        async def send() -> Any:
            return await self._calls()(call_sid).update_async(url=url, method="POST")

        call = await self._send("update", send, create=False)
        return CallResource(sid=str(call.sid), status=str(call.status))

    async def add_participant(self, conference: str, params: Mapping[str, Any]) -> CallResource:
        """Ring a participant into ``conference`` (its SID, or its FriendlyName: Twilio then starts it
        if it is not running yet); the resource's ``call_sid`` is the new leg. A 5xx or no answer is
        DialOutcomeUnknown (never re-sent: the leg's status callbacks tell what happened)."""
        participants = self.api().conferences(conference).participants
        joined = await self._send("participant create", lambda: participants.create_async(**params), create=True)
        return CallResource(sid=str(joined.call_sid), status=str(joined.status))

    async def end_call(self, call_sid: str, *, ringing: bool) -> None:
        """Hang up a leg: ``canceled`` while it rings, ``completed`` once answered; CallNotFound if gone."""
        status = "canceled" if ringing else "completed"
        await self._send("hangup", lambda: self._calls()(call_sid).update_async(status=status), create=False)

    async def _send(self, what: str, send: Callable[[], Awaitable[Any]], *, create: bool) -> Any:
        for attempt in range(len(self._delays) + 1):
            try:
                async with asyncio.timeout(self._timeout):
                    return await send()
            except TwilioRestException as exc:
                if exc.status == 429 and attempt < len(self._delays):
                    log.info("twilio %s rate limited (429); retry %d in %.2fs",
                             what, attempt + 1, self._delays[attempt])
                    await self._sleep(self._delays[attempt])
                    continue
                raise _convert_rest(exc, what, create=create) from exc
            except aiohttp.ClientConnectorError as exc:
                raise CarrierUnavailable(f"twilio {what}: cannot connect", {"error": str(exc)}) from exc
            except (TimeoutError, aiohttp.ClientError, TwilioException) as exc:
                message = f"twilio {what}: no answer ({type(exc).__name__})"
                if create:
                    log.warning("%s; outcome unknown, not re-sent", message)
                    raise DialOutcomeUnknown(message, {"error": str(exc)}) from exc
                raise CarrierError(message, {"error": str(exc)}) from exc
        raise AssertionError("unreachable")  # pragma: no cover


def _convert_rest(exc: TwilioRestException, what: str, *, create: bool) -> CarrierError:
    details = {"http_status": exc.status, "code": exc.code, "message": str(exc.msg)}
    if exc.status == 429:
        return CarrierUnavailable(f"twilio {what}: still rate limited", details)
    if exc.status >= 500:
        if create:
            log.warning("twilio create answered %s; outcome unknown, not re-sent", exc.status)
            return DialOutcomeUnknown(f"twilio {what}: server error {exc.status}", details)
        return CarrierError(f"twilio {what}: server error {exc.status}", details)
    if exc.status == 404 and not create:
        return CallNotFound(f"twilio {what}: call not found", details)
    return CarrierRejected(f"twilio {what}: refused ({exc.status})", details)
