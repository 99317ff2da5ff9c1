"""The origins the desk's phone connects to (issue 20), for the page's Content-Security-Policy."""

from __future__ import annotations

from urllib.parse import urlsplit

from config.settings import Settings

# Twilio's Voice SDK: signalling (wss) and its event and media-region endpoints.
TWILIO_SOURCES = ("wss://*.twilio.com", "https://*.twilio.com")


def phone_connect_sources(settings: Settings) -> tuple[str, ...]:
    sources: list[str] = []
    ws = urlsplit(settings.phone.ws_url)
    if ws.scheme in ("ws", "wss") and ws.netloc:
        sources.append(f"{ws.scheme}://{ws.netloc}")
    if settings.twilio.account_sid:
        sources.extend(TWILIO_SOURCES)
    return tuple(sources)
