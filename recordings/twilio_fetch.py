"""Fetch a finished Twilio recording (the status callback's ``RecordingUrl``) into a local file.

Only URLs of our own account's recordings at the configured API base are fetched (a forged or
mistaken callback cannot make us fetch anything else), with HTTP basic auth (account SID + auth
token) as Twilio documents, as WAV (``RecordingUrl`` + ``.wav``), bounded in size and time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from config.settings import TwilioSettings
from domain.errors import CarrierError, CarrierUnavailable, InvalidInput

TWILIO_API = "https://api.twilio.com"
MAX_BYTES = 512 * 1024 * 1024


def checked_url(url: str, twilio: TwilioSettings) -> str:
    """``url`` + ``.wav`` if it names a recording of our account at our API base; InvalidInput otherwise."""
    base = urlsplit((twilio.api_base or TWILIO_API).rstrip("/"))
    got = urlsplit(url)
    prefix = f"{base.path}/2010-04-01/Accounts/{twilio.account_sid}/Recordings/"
    name = got.path[len(prefix):]
    if (got.scheme, got.netloc) != (base.scheme, base.netloc) or not got.path.startswith(prefix) \
            or not name.startswith("RE") or "/" in name or got.query or not twilio.account_sid:
        raise InvalidInput("RecordingUrl is not a recording of this account", {"RecordingUrl": "not ours"})
    return url if url.endswith(".wav") else url + ".wav"


async def fetch_recording(client: httpx.AsyncClient, url: str, twilio: TwilioSettings, dest: Path) -> int:
    """Download the recording to ``dest``; returns its size. CarrierError when Twilio does not give it."""
    target = checked_url(url, twilio)
    auth = (twilio.account_sid, twilio.auth_token.get_secret_value())
    size = 0
    try:
        async with client.stream("GET", target, auth=auth, timeout=60.0) as answer:
            if answer.status_code != 200:
                raise CarrierError(f"twilio answered {answer.status_code} for the recording", {"url": target})
            out = await asyncio.to_thread(dest.open, "wb")
            try:
                async for chunk in answer.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise CarrierError("the recording is larger than allowed", {"url": target})
                    await asyncio.to_thread(out.write, chunk)
            finally:
                out.close()
    except httpx.TransportError as exc:
        raise CarrierUnavailable("twilio could not be reached for the recording", {"error": str(exc)[:200]}) from exc
    return size
