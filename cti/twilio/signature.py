"""``X-Twilio-Signature`` checking, a pure function of (url, params, header, auth token).

Twilio signs the full URL it requested (scheme, host, path and query string) followed by every
POST parameter sorted by name. Behind a TLS proxy the URL our server sees is not the one Twilio
requested, so the URL is rebuilt from ``settings.public_url`` + the request path (+ query).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlparse

from twilio.request_validator import RequestValidator, add_port, compare, remove_port

from domain.errors import SignatureInvalid

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"

FormParams = Mapping[str, str] | Sequence[tuple[str, str]]


class _MultiParams:
    """Form pairs with the ``getall`` that RequestValidator uses for repeated keys."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for key, value in pairs:
            self._values.setdefault(key, []).append(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __bool__(self) -> bool:
        return bool(self._values)

    def getall(self, key: str) -> list[str]:
        return self._values[key]


def _pairs(params: FormParams) -> list[tuple[str, str]]:
    if isinstance(params, Mapping):
        return [(str(k), str(v)) for k, v in params.items()]
    return [(str(k), str(v)) for k, v in params]


def public_request_url(public_url: str, path: str, query: str = "") -> str:
    """The URL Twilio requested: ``public_url`` (any path prefix kept) + ``path`` + ``?query``."""
    base = public_url.rstrip("/")
    url = base + ("/" + path.lstrip("/") if path else "")
    return f"{url}?{query}" if query else url


def compute_signature(url: str, params: FormParams, auth_token: str) -> str:
    """The signature Twilio would send for this request (for tests, benches and our own clients)."""
    validator = RequestValidator(auth_token)
    return str(validator.compute_signature(url, _MultiParams(_pairs(params))))


def verify_signature(url: str, params: FormParams, signature: str | None, auth_token: str) -> None:
    """Return when ``signature`` is Twilio's for ``url`` + ``params``; raise SignatureInvalid otherwise.

    ``params`` is the form body (a mapping, or pairs when a key repeats). A missing header, an
    unconfigured auth token, or any change to the URL, the params or the signature is refused.
    """
    if not auth_token:
        log.warning("twilio webhook refused: no auth token configured (url=%s)", url)
        raise SignatureInvalid("twilio auth token is not configured", {"url": url})
    if not signature:
        log.warning("twilio webhook refused: missing %s (url=%s)", SIGNATURE_HEADER, url)
        raise SignatureInvalid("missing X-Twilio-Signature", {"url": url})
    try:
        valid = _valid(RequestValidator(auth_token), url, _MultiParams(_pairs(params)), signature)
    except (ValueError, TypeError, UnicodeError) as exc:
        log.warning("twilio webhook refused: unverifiable request (url=%s): %s", url, exc)
        raise SignatureInvalid("unverifiable twilio signature", {"url": url}) from exc
    if not valid:
        log.warning("twilio webhook refused: bad signature (url=%s)", url)
        raise SignatureInvalid("invalid X-Twilio-Signature", {"url": url})


def _valid(validator: RequestValidator, url: str, params: _MultiParams, signature: str) -> bool:
    """``validator.validate(url, params, signature)`` for a form body: Twilio's signature of the
    URL without its port, or with it; the second HMAC is computed only when the first does not
    match (the same answer; most requests match the first)."""
    parsed = urlparse(url)
    if compare(validator.compute_signature(remove_port(parsed), params), signature):
        return True
    return bool(compare(validator.compute_signature(add_port(parsed), params), signature))
