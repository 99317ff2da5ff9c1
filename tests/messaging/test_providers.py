"""The providers' sans-I/O halves (answers in, outcomes out) and their HTTP shells against the
fake servers; the fakes checked against the official SDKs (they parse what the fakes answer)."""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import SecretStr

from config.messaging_settings import AfricasTalkingSettings, InfobipSettings
from messaging.fakes import FakeSms
from messaging.providers import africastalking, infobip
from messaging.providers.base import Accepted, Ambiguous, ClientPool, Refused, SmsRequest, Timeouts

REQUEST = SmsRequest(1, "+254712345678", "Habari", "sb-1-1")


def at_answer(code: int, status: str, message_id: str = "ATXid_1") -> bytes:
    return json.dumps({"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": [
        {"statusCode": code, "number": "+254712345678", "status": status, "cost": "KES 0.8000",
         "messageId": message_id}]}}).encode()


@pytest.mark.parametrize(("status", "body", "expected"), [
    (201, at_answer(101, "Success"), Accepted("africastalking", "ATXid_1", cost="KES 0.8000")),
    (201, at_answer(102, "Queued"), Accepted("africastalking", "ATXid_1", cost="KES 0.8000")),
    (201, at_answer(405, "InsufficientBalance", "None"), Refused("africastalking",
                                                                 "africastalking refused it: 405 InsufficientBalance")),
    (201, at_answer(403, "InvalidPhoneNumber", "None"), Refused(
        "africastalking", "africastalking refused the number: 403 InvalidPhoneNumber", elsewhere=False)),
    (201, at_answer(406, "UserInBlacklist", "None"), Refused(
        "africastalking", "africastalking refused the number: 406 UserInBlacklist", elsewhere=False)),
    (500, b"oops", Refused("africastalking", "africastalking answered HTTP 500: oops")),
    (401, b"The supplied authentication is invalid", Refused(
        "africastalking", "africastalking answered HTTP 401: The supplied authentication is invalid")),
    (201, b'{"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}',
     Refused("africastalking", "africastalking sent it to nobody: InvalidSenderId")),
])
def test_africastalking_answers(status: int, body: bytes, expected: object) -> None:
    assert africastalking.interpret(status, body) == expected


def test_an_unreadable_2xx_is_ambiguous() -> None:
    assert isinstance(africastalking.interpret(201, b"<html>"), Ambiguous)
    assert isinstance(infobip.interpret(200, b"{}", "sb-1-1"), Ambiguous)


def test_infobip_answers() -> None:
    def answer(group: str, name: str) -> bytes:
        return json.dumps({"bulkId": "b", "messages": [{"messageId": "sb-1-1", "status": {
            "groupId": 1, "groupName": group, "id": 26, "name": name}, "destination": "254712345678"}]}).encode()

    assert infobip.interpret(200, answer("PENDING", "PENDING_ACCEPTED"), "sb-1-1") == Accepted("infobip", "sb-1-1")
    refused = infobip.interpret(200, answer("REJECTED", "REJECTED_NOT_ENOUGH_CREDITS"), "sb-1-1")
    assert isinstance(refused, Refused) and refused.elsewhere
    invalid = infobip.interpret(200, answer("UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED"), "sb-1-1")
    assert isinstance(invalid, Refused) and not invalid.elsewhere
    assert infobip.interpret(503, b"busy", "sb-1-1") == Refused("infobip", "infobip answered HTTP 503: busy")


def test_the_requests_we_build() -> None:
    settings = AfricasTalkingSettings(username="jua", api_key=SecretStr("k1"), sender_id="JUAPOWER",
                                      base_url="http://127.0.0.1:1/")
    call = africastalking.build(REQUEST, settings)
    assert call.url == "http://127.0.0.1:1/version1/messaging"
    assert call.form == {"username": "jua", "to": "+254712345678", "message": "Habari", "from": "JUAPOWER"}
    assert call.headers == {"apiKey": "k1", "Accept": "application/json"}
    ib = InfobipSettings(api_key=SecretStr("k2"), sender="JuaPower")
    assert infobip.body_of(REQUEST, ib) == {"messages": [{
        "sender": "JuaPower", "destinations": [{"to": "254712345678", "messageId": "sb-1-1"}],
        "content": {"text": "Habari"}}]}
    assert infobip.headers_of(ib)["Authorization"] == "App k2"


async def test_the_shells_against_the_fakes_and_a_closed_port() -> None:
    at, ib = FakeSms("africastalking"), FakeSms("infobip")
    await at.start()
    await ib.start()
    # patient timeouts (a loaded CI machine can stall a loopback accept); a short read only for "timeout"
    client = ClientPool(4, Timeouts(10.0, 10.0))
    impatient = ClientPool(1, Timeouts(10.0, 0.5))
    try:
        at_provider = africastalking.AfricasTalkingProvider(AfricasTalkingSettings(
            username="sandbox", api_key=SecretStr("fake-key"), base_url=at.url), client)
        ib_provider = infobip.InfobipProvider(InfobipSettings(api_key=SecretStr("fake-key"), base_url=ib.url), client)
        sent = await at_provider.send(REQUEST)
        assert isinstance(sent, Accepted) and sent.provider_message_id in at.taken
        assert await ib_provider.send(REQUEST) == Accepted("infobip", "sb-1-1")
        looked = await ib_provider.lookup("sb-1-1")
        assert looked is not None and looked.found and looked.status == "delivered"
        missing = await ib_provider.lookup("nobody")
        assert missing is not None and not missing.found
        wrong_key = africastalking.AfricasTalkingProvider(AfricasTalkingSettings(
            username="sandbox", api_key=SecretStr("bad"), base_url=at.url), client)
        assert isinstance(await wrong_key.send(REQUEST), Refused)
        at.mode = "timeout"
        at_short = africastalking.AfricasTalkingProvider(AfricasTalkingSettings(
            username="sandbox", api_key=SecretStr("fake-key"), base_url=at.url), impatient)
        assert isinstance(await at_short.send(REQUEST), Ambiguous)
        await at.stop()
        refused = await at_provider.send(REQUEST)
        assert isinstance(refused, Refused) and refused.elsewhere and "could not be reached" in refused.reason
    finally:
        await client.aclose()
        await impatient.aclose()
        await at.stop()
        await ib.stop()


async def test_the_official_sdks_understand_the_fakes() -> None:
    """The fakes speak the providers' shapes: Africa's Talking's SDK 2.0.3 (its private base URL
    pointed at the fake) and Infobip's client 6.0.0 parse their answers."""
    import africastalking as at_sdk
    from infobip_api_client import ApiClient, Configuration
    from infobip_api_client.api.sms_api import SmsApi
    from infobip_api_client.models import SmsDestination, SmsMessage, SmsMessageContent, SmsRequest, SmsTextContent

    at, ib = FakeSms("africastalking"), FakeSms("infobip")
    at_url, ib_url = at.start_in_thread(), ib.start_in_thread()
    try:
        def at_send() -> dict[str, object]:
            at_sdk.initialize("sandbox", "fake-key")
            sms = at_sdk.SMS
            sms._baseUrl = at_url + "/version1"
            return sms.send("Habari from the SDK", ["+254712345678"], sender_id="JUAPOWER")  # type: ignore[no-any-return]

        answer = await asyncio.to_thread(at_send)
        recipient = answer["SMSMessageData"]["Recipients"][0]  # type: ignore[index]
        assert recipient["statusCode"] == 101 and recipient["messageId"] in at.taken

        def ib_send() -> object:
            config = Configuration(host=ib_url, api_key={"APIKeyHeader": "fake-key"},
                                   api_key_prefix={"APIKeyHeader": "App"})
            api = SmsApi(ApiClient(config))
            request = SmsRequest(messages=[SmsMessage(
                sender="JuaPower", destinations=[SmsDestination(to="254712345678", message_id="sdk-1")],
                content=SmsMessageContent(SmsTextContent(text="Habari from the SDK")))])
            return api.send_sms_messages(request)

        response = await asyncio.to_thread(ib_send)
        assert response.messages[0].message_id == "sdk-1"  # type: ignore[attr-defined]
        assert response.messages[0].status.group_name.value == "PENDING"  # type: ignore[attr-defined]
    finally:
        at.stop_thread()
        ib.stop_thread()


async def test_no_free_connection_in_time_is_not_sent_and_a_silent_provider_is_ambiguous() -> None:
    """The client's one connection is held by a send the provider never answers: the next send
    waits for a connection up to the connect timeout and is refused (nothing went out: fail over at
    once); the first becomes ambiguous after the request timeout (it went out)."""
    at = FakeSms("africastalking")
    await at.start()
    one = ClientPool(1, Timeouts(0.3, 1.5))
    try:
        provider = africastalking.AfricasTalkingProvider(AfricasTalkingSettings(
            username="sandbox", api_key=SecretStr("fake-key"), base_url=at.url), one)
        at.mode = "timeout"
        first = asyncio.create_task(provider.send(REQUEST))
        while not at.taken:  # the first request reached the provider and holds the connection
            await asyncio.sleep(0.01)
        second = await provider.send(REQUEST)
        assert isinstance(second, Refused) and second.elsewhere and "could not be reached" in second.reason
        outcome = await first
        assert isinstance(outcome, Ambiguous) and "after the request was sent" in outcome.reason
    finally:
        await one.aclose()
        await at.stop()
