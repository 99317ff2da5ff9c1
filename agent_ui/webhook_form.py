"""A webhook's form body as ``(name, value)`` pairs, split directly when it is plain.

Twilio's requests are small ``application/x-www-form-urlencoded`` bodies. Starlette parses them
with python-multipart's streaming parser (~0.1 ms of CPU a request); a plain body (ASCII,
non-empty ``name=value`` pairs joined by ``&``, under the parser's limits) is split here with the
same decoding Starlette applies to each name and value (``unquote_plus``), so the pairs are the
same, in the same order. Anything else (another content type, a parameter in the header, ``;``, a
name without ``=``, non-ASCII bytes, too many or too long fields) goes to ``request.form()``.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from starlette.requests import Request

URLENCODED = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000  # Starlette's defaults: past them its parser refuses the body (400)
MAX_FIELD_BYTES = 1024 * 1024


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """The form's pairs, as ``[(key, str(value)) for key, value in (await request.form()).multi_items()]``."""
    if request.headers.get("content-type", "").lower().strip(" \t") == URLENCODED:
        pairs = plain_pairs(await request.body())
        if pairs is not None:
            return pairs
    return [(key, str(value)) for key, value in (await request.form()).multi_items()]


def plain_pairs(body: bytes) -> list[tuple[str, str]] | None:
    """The pairs of a plain urlencoded body, or None when it is not plain (see the module docstring)."""
    if not body:
        return []
    if not body.isascii() or b";" in body or len(body) > MAX_FIELD_BYTES:
        return None
    parts = body.split(b"&")
    if len(parts) > MAX_FIELDS:
        return None
    pairs = []
    for part in parts:
        name, equals, value = part.partition(b"=")
        if not equals or not name:
            return None
        pairs.append((unquote_plus(name.decode("ascii")), unquote_plus(value.decode("ascii"))))
    return pairs
