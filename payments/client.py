"""The Daraja client: httpx against Safaricom's documented API (no Daraja SDK on the package index
is well kept). Library exceptions become ours here:

* nothing went out (connection refused, no token): :class:`PaymentProviderUnavailable`;
* Daraja said no (an error body, bad credentials): :class:`PaymentProviderRejected`;
* the request went out and its answer was lost (timeout, dropped connection, an unreadable server
  error): :class:`PaymentOutcomeUnknown`. A push is never sent again after that; the only retry is
  the one after a 401 (an expired token: Daraja did not process the request).

The OAuth token is cached until it expires (minus a minute), one fetch at a time.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from config.mpesa_settings import MpesaSettings
from domain.errors import PaymentOutcomeUnknown, PaymentProviderRejected, PaymentProviderUnavailable
from domain.events import utcnow
from payments.stk_protocol import (
    PushAccepted,
    QueryAnswer,
    StkPush,
    error_message,
    parse_push_answer,
    parse_query_answer,
    query_body,
)

log = logging.getLogger(__name__)

TOKEN_PATH = "/oauth/v1/generate"
PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
QUERY_PATH = "/mpesa/stkpushquery/v1/query"
REGISTER_PATH = "/mpesa/c2b/v1/registerurl"
TOKEN_MARGIN_SECONDS = 60.0
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class DarajaClient:
    def __init__(self, settings: MpesaSettings, *, clock: Callable[[], datetime] = utcnow,
                 transport: httpx.AsyncBaseTransport | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock, self._monotonic = clock, monotonic
        self._http = httpx.AsyncClient(base_url=settings.api_base(), timeout=settings.http_timeout_seconds,
                                       transport=transport, headers={"Accept": "application/json"})
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.token_fetches = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- OAuth ------------------------------------------------------------------------------------

    async def access_token(self) -> str:
        if self._token is not None and self._monotonic() < self._expires_at:
            return self._token
        async with self._lock:
            if self._token is not None and self._monotonic() < self._expires_at:
                return self._token
            self._token, self._expires_at = await self._fetch_token()
            return self._token

    def forget_token(self) -> None:
        self._token, self._expires_at = None, 0.0

    async def _fetch_token(self) -> tuple[str, float]:
        pair = f"{self.settings.consumer_key}:{self.settings.consumer_secret.get_secret_value()}"
        auth = "Basic " + base64.b64encode(pair.encode()).decode()
        self.token_fetches += 1
        try:
            response = await self._http.get(TOKEN_PATH, params={"grant_type": "client_credentials"},
                                            headers={"Authorization": auth})
        except httpx.HTTPError as exc:
            raise PaymentProviderUnavailable("M-Pesa could not be reached; nothing was sent.",
                                             {"reason": type(exc).__name__}) from exc
        data = _json(response)
        if response.status_code != 200 or not isinstance(data.get("access_token"), str):
            log.error("mpesa: OAuth refused (HTTP %s): %s", response.status_code,
                      error_message(data, response.status_code))
            raise PaymentProviderRejected("M-Pesa refused our credentials; check SWITCHBOARD_MPESA__CONSUMER_KEY "
                                          "and __CONSUMER_SECRET.", {"status": response.status_code})
        try:
            lifetime = float(data.get("expires_in", 3599))
        except (TypeError, ValueError):
            lifetime = 3599.0
        return data["access_token"], self._monotonic() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS)

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST with the bearer token; once more with a fresh token after a 401 (not processed)."""
        for attempt in (1, 2):
            token = await self.access_token()
            try:
                response = await self._http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
            except _NOT_SENT as exc:
                raise PaymentProviderUnavailable("M-Pesa could not be reached; nothing was sent.",
                                                 {"reason": type(exc).__name__}) from exc
            except httpx.HTTPError as exc:
                raise PaymentOutcomeUnknown("M-Pesa did not answer the request.",
                                            {"reason": type(exc).__name__}) from exc
            if response.status_code == 401 and attempt == 1:
                self.forget_token()
                continue
            return response
        return response

    # --- API ----------------------------------------------------------------------------------------

    async def stk_push(self, push: StkPush) -> PushAccepted:
        response = await self._post(PUSH_PATH, push.body(self._clock()))
        return parse_push_answer(response.status_code, response.content)

    async def stk_query(self, checkout_request_id: str) -> QueryAnswer:
        s = self.settings
        body = query_body(s.shortcode, s.passkey.get_secret_value(), checkout_request_id, self._clock())
        try:
            response = await self._post(QUERY_PATH, body)
        except PaymentOutcomeUnknown as exc:  # a query changes nothing: it is simply asked again later
            raise PaymentProviderUnavailable("M-Pesa did not answer the query.", exc.details) from exc
        return parse_query_answer(response.status_code, response.content, checkout_request_id)

    async def register_urls(self, confirmation_url: str, validation_url: str,
                            response_type: str = "Completed") -> dict[str, Any]:
        body = {"ShortCode": self.settings.shortcode, "ResponseType": response_type,
                "ConfirmationURL": confirmation_url, "ValidationURL": validation_url}
        response = await self._post(REGISTER_PATH, body)
        data = _json(response)
        if response.status_code != 200 or str(data.get("ResponseCode", "0")) not in ("0", "00000000"):
            raise PaymentProviderRejected(f"M-Pesa refused to register the URLs: "
                                          f"{error_message(data, response.status_code)}.",
                                          {"status": response.status_code})
        return data


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
