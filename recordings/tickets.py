"""Playback tickets (pure): one audited "play" gives a short-lived URL for the player's requests.

A player seeks with many HTTP Range requests; the playback is audited once, when the ticket is
issued, and the audio route then checks the ticket (HMAC of recording, user and expiry, signed with
the installation's secret key) besides the signed-in user.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

TICKET_SECONDS = 3600


def issue_ticket(secret: str, recording_id: int, user_id: int, *, now: datetime,
                 seconds: int = TICKET_SECONDS) -> str:
    expires = int((now + timedelta(seconds=seconds)).timestamp())
    body = f"{recording_id}.{user_id}.{expires}"
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{expires}.{mac}"


def check_ticket(secret: str, ticket: str, recording_id: int, user_id: int, *, now: datetime) -> bool:
    expires_text, _, mac = ticket.partition(".")
    if not expires_text.isdigit() or len(mac) != 32:
        return False
    body = f"{recording_id}.{user_id}.{expires_text}"
    good = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]
    return hmac.compare_digest(good, mac) and int(expires_text) >= int(now.timestamp())
