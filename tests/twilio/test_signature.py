"""X-Twilio-Signature: Twilio's own signatures pass; forged, missing, tampered, other-URL are refused."""

from __future__ import annotations

import random

import pytest
from twilio.request_validator import RequestValidator

from cti.twilio.signature import compute_signature, public_request_url, verify_signature
from domain.errors import SignatureInvalid
from tests.twilio.helpers import AUTH_TOKEN, PUBLIC_URL, call_sid, twilio_signature, voice_form

URL = PUBLIC_URL + "/twilio/status?call_id=sb-42&leg=agent"


def test_twilio_signature_is_accepted() -> None:
    form = voice_form(call_sid())
    verify_signature(URL, form, twilio_signature(URL, form), AUTH_TOKEN)
    verify_signature(URL, list(form.items()), twilio_signature(URL, form), AUTH_TOKEN)


def test_signature_with_explicit_default_port_is_accepted() -> None:
    # Twilio may sign with or without the port; RequestValidator tries both
    form = voice_form(call_sid())
    signed_with_port = twilio_signature("https://switchboard.example.com:443/twilio/voice", form)
    verify_signature(PUBLIC_URL + "/twilio/voice", form, signed_with_port, AUTH_TOKEN)


def test_our_compute_matches_twilio() -> None:
    form = voice_form(call_sid())
    assert compute_signature(URL, form, AUTH_TOKEN) == twilio_signature(URL, form)


@pytest.mark.parametrize("header", [None, "", "not-a-signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="])
def test_missing_or_forged_header_is_refused(header: str | None) -> None:
    with pytest.raises(SignatureInvalid) as info:
        verify_signature(URL, voice_form(call_sid()), header, AUTH_TOKEN)
    assert info.value.status == 403


def test_signature_by_another_token_is_refused() -> None:
    form = voice_form(call_sid())
    with pytest.raises(SignatureInvalid):
        verify_signature(URL, form, twilio_signature(URL, form, token="someone-else"), AUTH_TOKEN)


def test_no_auth_token_configured_refuses_everything() -> None:
    form = voice_form(call_sid())
    with pytest.raises(SignatureInvalid):
        verify_signature(URL, form, compute_signature(URL, form, ""), "")


def test_public_url_builds_the_url_twilio_requested() -> None:
    assert public_request_url("https://sb.example.com/", "/twilio/voice") == "https://sb.example.com/twilio/voice"
    assert public_request_url("https://sb.example.com/pbx", "/twilio/voice", "queue=a") == (
        "https://sb.example.com/pbx/twilio/voice?queue=a"
    )


def _tamper(rng: random.Random, url: str, form: dict[str, str], sig: str) -> tuple[str, dict[str, str], str | None]:
    kind = rng.randrange(7)
    form = dict(form)
    if kind == 0:  # change a param's value
        key = rng.choice(sorted(form))
        form[key] = form[key] + rng.choice("0123456789xyz")
    elif kind == 1:  # add a param
        form[f"Extra{rng.randrange(1000)}"] = str(rng.randrange(10**6))
    elif kind == 2:  # drop a param
        del form[rng.choice(sorted(form))]
    elif kind == 3:  # another URL (path, host, scheme or query)
        url = rng.choice([
            url.replace("/twilio/status", "/twilio/voice"),
            url.replace("switchboard.example.com", "evil.example.com"),
            url.replace("https://", "http://"),
            url.replace("sb-42", f"sb-{rng.randrange(43, 10**6)}"),
            url + "&x=1",
        ])
    elif kind == 4:  # flip one character of the signature
        i = rng.randrange(len(sig))
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        sig = sig[:i] + rng.choice(alphabet.replace(sig[i], "")) + sig[i + 1:]
    elif kind == 5:  # drop the header
        return url, form, None
    else:  # a signature made with a guessed token
        return url, form, twilio_signature(url, form, token=f"guess-{rng.randrange(10**9)}")
    return url, form, sig


def test_1000_random_tamperings_are_all_refused() -> None:
    rng = random.Random(20240611)
    refused = 0
    for _ in range(1000):
        form = voice_form(call_sid(), status=rng.choice(["ringing", "completed", "in-progress"]))
        sig = twilio_signature(URL, form)
        verify_signature(URL, form, sig, AUTH_TOKEN)  # the genuine one passes
        url, bad_form, bad_sig = _tamper(rng, URL, form, sig)
        assert (url, bad_form, bad_sig) != (URL, form, sig)
        with pytest.raises(SignatureInvalid):
            verify_signature(url, bad_form, bad_sig, AUTH_TOKEN)
        refused += 1
    assert refused == 1000


@pytest.mark.parametrize("signed", ["https://switchboard.example.com/twilio/ivr?s=7&n=2",
                                    "https://switchboard.example.com:443/twilio/ivr?s=7&n=2",
                                    "https://switchboard.example.com:8443/twilio/ivr?s=7&n=2",
                                    "http://switchboard.example.com:80/twilio/ivr?s=7&n=2"])
@pytest.mark.parametrize("checked", ["https://switchboard.example.com/twilio/ivr?s=7&n=2",
                                     "https://switchboard.example.com:443/twilio/ivr?s=7&n=2",
                                     "https://switchboard.example.com:8443/twilio/ivr?s=7&n=2",
                                     "http://switchboard.example.com/twilio/ivr?s=7&n=2"])
def test_the_check_answers_as_twilios_validator(signed: str, checked: str) -> None:
    """Our check (the second HMAC only when the first misses) accepts exactly what
    RequestValidator.validate accepts, for every port form of the signed and the checked URL."""
    form = {**voice_form(call_sid()), "Digits": "1"}
    signature = twilio_signature(signed, form)
    expected = RequestValidator(AUTH_TOKEN).validate(checked, form, signature)
    try:
        verify_signature(checked, form, signature, AUTH_TOKEN)
        accepted = True
    except SignatureInvalid:
        accepted = False
    assert accepted is expected
