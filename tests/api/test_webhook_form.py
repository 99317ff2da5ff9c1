"""A webhook's form pairs (agent_ui.webhook_form): a plain urlencoded body is split directly, with
exactly the pairs Starlette's parser gives (same decoding, same order, repeats and blanks kept);
any other body is left to Starlette."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from starlette.requests import Request

from agent_ui.webhook_form import form_pairs, plain_pairs

PLAIN = [
    b"",
    b"CallSid=CA0123&From=%2B254712345678&Digits=",
    urlencode({"AccountSid": "AC" + "b" * 32, "CallStatus": "in-progress", "From": "+254 712 345 678",
               "SpeechResult": "ndiyo, asante & kwaheri = 100%", "Caller": "Wanjikũ Kamau"}).encode(),
    b"a=1&a=2&b=&c=x+y%20z&d=%E2%82%AC&e=%zz&f=1=2",
]
NOT_PLAIN = [b"a=1;b=2", b"a=1&&b=2", b"a=1&", b"novalue&a=1", b"=x", "a=é".encode(), b"a=1&" * 1001]


def _request(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> Request:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "path": "/twilio/ivr", "query_string": b"",
                    "headers": [(b"content-type", content_type.encode())]}, receive)


async def _starlette(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> list[tuple[str, str]]:
    return [(key, str(value)) for key, value in (await _request(body, content_type).form()).multi_items()]


@pytest.mark.parametrize("body", PLAIN)
async def test_a_plain_body_gives_starlettes_pairs(body: bytes) -> None:
    assert plain_pairs(body) == await _starlette(body)


@pytest.mark.parametrize("body", NOT_PLAIN)
def test_any_other_body_is_left_to_starlette(body: bytes) -> None:
    assert plain_pairs(body) is None


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded ",
                                          "application/x-www-form-urlencoded; charset=utf-8", "text/plain"])
@pytest.mark.parametrize("body", [*PLAIN[1:], *NOT_PLAIN[:6]])
async def test_form_pairs_are_the_forms_pairs(body: bytes, content_type: str) -> None:
    assert await form_pairs(_request(body, content_type)) == await _starlette(body, content_type)
