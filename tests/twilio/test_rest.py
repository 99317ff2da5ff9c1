"""The Calls API client against a local Twilio stand-in: 429 retried, 5xx/timeout on create never re-sent."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from config.settings import TwilioSettings
from cti.twilio.rest import CallNotFound, TwilioRest
from domain.errors import CarrierError, CarrierRejected, CarrierUnavailable, DialOutcomeUnknown
from tests.twilio.fake_api import FakeTwilioApi
from tests.twilio.helpers import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER


@pytest.fixture
async def api() -> AsyncIterator[FakeTwilioApi]:
    fake = FakeTwilioApi()
    await fake.start()
    yield fake
    await fake.stop()


def _settings(base: str) -> TwilioSettings:
    return TwilioSettings(account_sid=ACCOUNT_SID, auth_token=SecretStr(AUTH_TOKEN), caller_id=OUR_NUMBER,
                          api_base=base)


@pytest.fixture
async def rest(api: FakeTwilioApi) -> AsyncIterator[TwilioRest]:
    client = TwilioRest(_settings(api.base_url), request_timeout=10.0, retry_delays=(0.01, 0.02, 0.04))
    yield client
    await client.aclose()


async def _create(rest: TwilioRest) -> str:
    call = await rest.create_call(to="client:amina", from_=OUR_NUMBER,
                                  url="https://sb/twilio/outbound?call_id=sb-1",
                                  status_callback="https://sb/twilio/status?call_id=sb-1", timeout_seconds=25)
    return call.sid


async def test_create_sends_the_calls_request_to_the_configured_base(api: FakeTwilioApi, rest: TwilioRest) -> None:
    sid = await _create(rest)
    [req] = api.requests
    assert sid.startswith("CA")
    assert (req.method, req.path, req.user) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json", ACCOUNT_SID)
    assert req.value("To") == "client:amina" and req.value("From") == OUR_NUMBER
    assert req.value("Url") == "https://sb/twilio/outbound?call_id=sb-1"
    assert req.value("StatusCallback") == "https://sb/twilio/status?call_id=sb-1"
    assert req.values("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"]
    assert req.value("Timeout") == "25"


async def test_429_is_retried_then_succeeds(api: FakeTwilioApi, rest: TwilioRest) -> None:
    api.answer_next(429, times=2)
    sid = await _create(rest)
    assert sid.startswith("CA")
    assert len(api.requests) == 3


async def test_429_retries_are_bounded(api: FakeTwilioApi, rest: TwilioRest) -> None:
    api.answer_next(429, times=10)
    with pytest.raises(CarrierUnavailable):
        await _create(rest)
    assert len(api.requests) == 4  # first try + 3 retries


async def test_500_on_create_is_not_retried(api: FakeTwilioApi, rest: TwilioRest) -> None:
    api.answer_next(500)
    with pytest.raises(DialOutcomeUnknown) as info:
        await _create(rest)
    assert info.value.details["http_status"] == 500
    assert len(api.requests) == 1


async def test_timeout_on_create_is_not_retried(api: FakeTwilioApi) -> None:
    rest = TwilioRest(_settings(api.base_url), request_timeout=0.2, retry_delays=(0.01,))
    api.answer_next(201, delay=1.0)
    try:
        with pytest.raises(DialOutcomeUnknown):
            await _create(rest)
    finally:
        await rest.aclose()
    assert len(api.requests) == 1


async def test_4xx_is_a_rejection(api: FakeTwilioApi, rest: TwilioRest) -> None:
    api.answer_next(400)
    with pytest.raises(CarrierRejected) as info:
        await _create(rest)
    assert not isinstance(info.value, DialOutcomeUnknown)


async def test_unreachable_api_is_unavailable_nothing_sent() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    rest = TwilioRest(_settings(f"http://127.0.0.1:{port}"), request_timeout=1.0)
    try:
        with pytest.raises(CarrierUnavailable):
            await _create(rest)
    finally:
        await rest.aclose()


async def test_redirect_updates_the_call(api: FakeTwilioApi, rest: TwilioRest) -> None:
    call = await rest.redirect_call("CA" + "b" * 32, "https://sb/twilio/connect?call_id=twilio/CA1")
    assert call.status == "in-progress"
    [req] = api.requests
    assert req.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/CA{'b' * 32}.json"
    assert req.value("Url") == "https://sb/twilio/connect?call_id=twilio/CA1"
    assert req.value("Method") == "POST"


async def test_redirect_of_a_gone_call_and_5xx(api: FakeTwilioApi, rest: TwilioRest) -> None:
    api.gone.add("CA" + "c" * 32)
    with pytest.raises(CallNotFound):
        await rest.redirect_call("CA" + "c" * 32, "https://sb/x")
    api.answer_next(503)
    with pytest.raises(CarrierError) as info:
        await rest.redirect_call("CA" + "d" * 32, "https://sb/x")
    assert not isinstance(info.value, DialOutcomeUnknown)
