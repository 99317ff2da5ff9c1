"""The Daraja client against the fake Daraja: the OAuth token is cached until it expires, a 401
gets one fresh token, refusals and unreachable servers become our errors, and nothing is retried
that may have gone out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from config.mpesa_settings import MpesaSettings
from domain.errors import PaymentProviderRejected, PaymentProviderUnavailable
from payments.client import PUSH_PATH, TOKEN_PATH, DarajaClient
from payments.fakes import FakeDaraja
from payments.stk_protocol import StkPush
from tests.support.server import free_port

NOW = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDaraja]:
    daraja = FakeDaraja()
    await daraja.start()
    try:
        yield daraja
    finally:
        await daraja.stop()


def settings_for(fake: FakeDaraja, **change: object) -> MpesaSettings:
    values: dict[str, object] = {"consumer_key": fake.consumer_key, "consumer_secret": fake.consumer_secret,
                                 "shortcode": fake.shortcode, "passkey": fake.passkey, "base_url": fake.base_url,
                                 "callback_token": "t"}
    values.update(change)
    return MpesaSettings(**values)  # type: ignore[arg-type]


def push(amount: int = 10) -> StkPush:
    return StkPush("174379", "fake-passkey", amount, "+254712345678", "http://127.0.0.1:1/cb", "AB123", "Loan")


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_token_is_cached_until_it_expires(fake: FakeDaraja) -> None:
    fake.token_ttl = 3599
    ticks = Ticks()
    client = DarajaClient(settings_for(fake), clock=lambda: NOW, monotonic=ticks)
    try:
        for _ in range(3):
            await client.stk_push(push())
        assert len(fake.calls(TOKEN_PATH)) == 1 and len(fake.calls(PUSH_PATH)) == 3
        ticks.now += 3599 - 60 - 1  # still inside the token's life, less the minute's margin
        await client.stk_push(push())
        assert len(fake.calls(TOKEN_PATH)) == 1
        ticks.now += 2
        await client.stk_push(push())
        assert len(fake.calls(TOKEN_PATH)) == 2
    finally:
        await client.aclose()


async def test_a_token_daraja_dropped_gets_one_fresh_token(fake: FakeDaraja) -> None:
    client = DarajaClient(settings_for(fake), clock=lambda: NOW)
    try:
        await client.stk_push(push())
        fake._tokens.clear()  # Daraja forgot it (expired early, revoked)
        accepted = await client.stk_push(push())
        assert accepted.checkout_request_id
        assert [s.path for s in fake.seen] == [TOKEN_PATH, PUSH_PATH, PUSH_PATH, TOKEN_PATH, PUSH_PATH]
    finally:
        await client.aclose()


async def test_wrong_credentials_are_a_refusal_in_words(fake: FakeDaraja) -> None:
    client = DarajaClient(settings_for(fake, consumer_secret=SecretStr("wrong")), clock=lambda: NOW)
    try:
        with pytest.raises(PaymentProviderRejected) as refused:
            await client.stk_push(push())
        assert "credentials" in refused.value.message and fake.calls(PUSH_PATH) == []
    finally:
        await client.aclose()


async def test_a_bad_request_is_refused_with_darajas_message(fake: FakeDaraja) -> None:
    client = DarajaClient(settings_for(fake, passkey=SecretStr("not-the-passkey")), clock=lambda: NOW)
    try:
        with pytest.raises(PaymentProviderRejected) as refused:
            await client.stk_push(StkPush("174379", "not-the-passkey", 10, "+254712345678", "http://x/cb", "A", "B"))
        assert refused.value.message == "M-Pesa refused the request: Bad Request - Invalid Password."
    finally:
        await client.aclose()


async def test_an_unreachable_daraja_sent_nothing() -> None:
    client = DarajaClient(MpesaSettings(consumer_key="k", consumer_secret=SecretStr("s"), shortcode="1",
                                        passkey=SecretStr("p"), callback_token=SecretStr("t"),
                                        base_url=f"http://127.0.0.1:{free_port()}"), clock=lambda: NOW)
    try:
        with pytest.raises(PaymentProviderUnavailable) as caught:
            await client.stk_push(push())
        assert caught.value.message == "M-Pesa could not be reached; nothing was sent."
    finally:
        await client.aclose()


async def test_register_urls(fake: FakeDaraja) -> None:
    client = DarajaClient(settings_for(fake), clock=lambda: NOW)
    try:
        answer = await client.register_urls("https://sb.example/c", "https://sb.example/v")
        assert answer["ResponseCode"] == "0"
        assert fake.registered == {"ConfirmationURL": "https://sb.example/c", "ValidationURL": "https://sb.example/v",
                                   "ResponseType": "Completed"}
    finally:
        await client.aclose()


def test_settings_say_what_is_missing_and_check_networks() -> None:
    empty = MpesaSettings()
    assert not empty.c2b_ready and not empty.stk_ready
    assert empty.api_base() == "https://api.safaricom.co.ke"
    assert MpesaSettings(environment="sandbox").api_base() == "https://sandbox.safaricom.co.ke"
    assert MpesaSettings(callback_token=SecretStr("t")).missing_for_stk() == [
        "SWITCHBOARD_MPESA__CONSUMER_KEY", "SWITCHBOARD_MPESA__CONSUMER_SECRET", "SWITCHBOARD_MPESA__SHORTCODE",
        "SWITCHBOARD_MPESA__PASSKEY"]
    with pytest.raises(ValueError, match="not an IP address"):
        MpesaSettings(allowed_ips=["safaricom.co.ke"])
