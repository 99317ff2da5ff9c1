"""What the browser phone writes and signs (pure): the PJSIP include (digests, never a secret), the
recording-notice dialplan, per-session secrets, Twilio Voice tokens and the TwiML (Twilio is
offline here, so its token's claims and the TwiML are checked as Twilio documents them)."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import jwt
import pytest
from pydantic import ValidationError

from config.phone_settings import PhoneSettings, RecordingSettings
from cti.twilio import twiml
from cti.twilio.decisions import AgentRef, CallRef
from cti.twilio.legs import agent_participant
from domain.errors import ConfigError, InvalidInput
from phone.credentials import NO_SESSION_DIGEST, ha1, new_secret, password_digest, sip_user_of
from phone.pjsip import render_endpoints, render_notice
from phone.twilio_token import identity_of, mint_voice_token
from store.repositories.phone import ProvisionedLine

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ACCOUNT, KEY, SECRET = "AC" + "a" * 32, "SK" + "b" * 32, "s3cr3t-" + "c" * 25


def test_the_digest_is_rfc2617_ha1_and_secrets_are_fresh() -> None:
    assert ha1("2001", "switchboard", "pw") == hashlib.md5(b"2001:switchboard:pw").hexdigest()
    assert password_digest("2001", "switchboard", "pw") == "md5:" + ha1("2001", "switchboard", "pw")
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50 and all(len(s) >= 32 for s in secrets)


@pytest.mark.parametrize("extension", ["PJSIP/2001", "pjsip/agent.7", " PJSIP/a-b_c "])
def test_an_asterisk_extension_names_its_endpoint(extension: str) -> None:
    assert sip_user_of(extension) == extension.strip().split("/", 1)[1]


@pytest.mark.parametrize("extension", [None, "", "2001", "SIP/2001", "PJSIP/", "PJSIP/20 01", "PJSIP/a]b",
                                       "client:amina", "PJSIP/" + "9" * 41])
def test_other_extensions_cannot_be_browser_phones(extension: str | None) -> None:
    with pytest.raises(InvalidInput):
        sip_user_of(extension)


def test_the_include_has_webrtc_endpoints_with_digests_only() -> None:
    digest = password_digest("2001", "switchboard", "the-secret")
    text = render_endpoints([ProvisionedLine("amina", 'Amina "Boss" <x>', "2001", digest),
                             ProvisionedLine("brian", "Brian", "2002", None)],
                            PhoneSettings(), at=AT, media_address="127.0.0.1")
    assert "the-secret" not in text and "\npassword =" not in text
    assert f"[2001](switchboard-webrtc-auth)\nusername = 2001\npassword_digest = {digest}" in text
    assert f"password_digest = {NO_SESSION_DIGEST}" in text  # 2002 has no session open: nothing matches
    for line in ("webrtc = yes", "dtls_auto_generate_cert = yes", "transport = transport-ws", "auth_type = digest",
                 "realm = switchboard", "bind_rtp_to_media_address = yes", "remove_existing = yes"):
        assert line in text
    assert 'callerid = "Amina Boss x" <2001>' in text
    assert text.index("[2001](switchboard-webrtc)") < text.index("[2002](switchboard-webrtc)")


@pytest.mark.parametrize("line", [ProvisionedLine("x", "X", "20]01", None), ProvisionedLine("x", "X", "2001", "md5:zz")])
def test_nothing_malformed_reaches_the_pbx(line: ProvisionedLine) -> None:
    with pytest.raises(ConfigError):
        render_endpoints([line], PhoneSettings(), at=AT)


def test_the_notice_plays_as_early_media_or_not_at_all() -> None:
    on = render_notice(RecordingSettings(notice_prompt="custom/notice"), at=AT)
    assert "[switchboard-recording-notice]" in on and "Playback(custom/notice,noanswer)" in on
    assert on.index("Progress()") < on.index("Playback") < on.index("Return()")
    off = render_notice(RecordingSettings(enabled=False), at=AT)
    assert "Playback" not in off and "exten => s,1,Return()" in off
    with pytest.raises(ConfigError):
        render_notice(RecordingSettings(notice_prompt="x,1)\nexten => y"), at=AT)


def test_a_voice_token_carries_the_grant_identity_and_at_most_an_hour() -> None:
    token = mint_voice_token(account_sid=ACCOUNT, api_key_sid=KEY, api_key_secret=SECRET, identity="amina",
                             ttl_seconds=3600, outgoing_app_sid="AP" + "d" * 32)
    claims = jwt.decode(token.token, SECRET, algorithms=["HS256"])
    assert jwt.get_unverified_header(token.token)["cty"] == "twilio-fpa;v=1"
    assert claims["iss"] == KEY and claims["sub"] == ACCOUNT
    assert claims["grants"]["identity"] == "amina"
    assert claims["grants"]["voice"]["incoming"] == {"allow": True}
    assert claims["grants"]["voice"]["outgoing"]["application_sid"] == "AP" + "d" * 32
    assert claims["exp"] - claims["nbf"] == 3600 and token.expires_at.timestamp() == claims["exp"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token.token, "another-secret-of-32-characters!!", algorithms=["HS256"])


def test_a_longer_token_is_refused_by_the_settings_and_capped_by_the_minter() -> None:
    with pytest.raises(ValidationError):
        PhoneSettings(token_ttl_seconds=3601)
    token = mint_voice_token(account_sid=ACCOUNT, api_key_sid=KEY, api_key_secret=SECRET, identity="a",
                             ttl_seconds=86_400)
    claims = jwt.decode(token.token, SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["nbf"] == 3600 and token.ttl_seconds == 3600


def test_no_token_without_an_api_key_and_only_for_client_identities() -> None:
    with pytest.raises(ConfigError):
        mint_voice_token(account_sid=ACCOUNT, api_key_sid="", api_key_secret="", identity="a", ttl_seconds=60)
    assert identity_of("client:amina.k") == "amina.k"
    for bad in ("amina", "client:", "+254712345678", None):
        with pytest.raises(InvalidInput):
            identity_of(bad)


def test_the_customer_hears_the_notice_and_the_agent_leg_is_recorded_in_two_channels() -> None:
    answer = twiml.join_conference("twilio-CA1", action_url="https://sb.example/twilio/dial-action",
                                   wait_url="https://sb.example/hold.mp3", notice="May be recorded.")
    say, dial = ET.fromstring(answer)
    assert say.tag == "Say" and say.text == "May be recorded."
    [conference] = dial
    assert dial.tag == "Dial" and conference.tag == "Conference" and conference.text == "twilio-CA1"
    call = CallRef("twilio/CA1", "CA1", "collections", "+254712345678", "+254709000000")
    params = agent_participant(call, AgentRef("client:amina", "amina"), caller_id="+254709000000", status_url="s",
                               timeout=20, recording_url="https://sb.example/twilio/recording?call_id=c1")
    assert (params["record"], params["recording_channels"]) == (True, "dual")  # from the agent's answer
    assert params["recording_status_callback"] == "https://sb.example/twilio/recording?call_id=c1"
    assert params["recording_status_callback_event"] == ["completed"]
    plain = agent_participant(call, AgentRef("client:amina", "amina"), caller_id="+254709000000", status_url="s",
                              timeout=20, recording_url=None)
    assert "record" not in plain
    plain_answer = ET.fromstring(twiml.join_conference("n", action_url="a", wait_url="w"))
    assert [v.tag for v in plain_answer] == ["Dial"]
    queued = ET.fromstring(twiml.enqueue("collections", wait_url="w", notice="May be recorded."))
    assert [v.tag for v in queued] == ["Say", "Enqueue"]
