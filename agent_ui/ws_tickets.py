"""Single-use WebSocket tickets: the page's socket never carries the sign-in token in its URL.

``POST /api/ws-ticket`` (signed in, with the tab's Bearer token or the session cookie) answers a ticket:
an HS256 JWT with audience ``ws``, the user's claims and ``token_version``, a random ``jti`` and a
life of :data:`TICKET_SECONDS`. The page opens ``/ws?ticket=...`` at once. The socket redeems it:

- a ticket is refused as a Bearer token (its audience is ``ws``; :meth:`TokenService.decode` wants none);
- it works once: :class:`TicketLedger` remembers the ``jti`` of each redeemed ticket until it expires,
  so a ticket copied from a proxy's log cannot open a second socket on this worker;
- sign-out, a password change or deactivation (``token_version``) void the tickets already issued.

The ledger is per process: with several workers a ticket could be replayed once on another worker
within its few seconds of life. The log never prints it (:mod:`runtime.redact` masks ``ticket=``).
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

import jwt

from agent_ui.tokens import Claims, TokenService, claims_of
from domain.errors import AuthenticationRequired
from store.models import utcnow

TICKET_SECONDS = 30
_AUDIENCE = "ws"
_ISSUER = "switchboard"
_ALGORITHM = "HS256"


class TicketLedger:
    """Issues tickets and redeems each at most once (in this process)."""

    def __init__(self, tokens: TokenService, clock: Any = time.monotonic) -> None:
        self._tokens = tokens
        self._clock = clock
        self._used: dict[str, float] = {}

    def issue(self, claims: Claims) -> str:
        now = utcnow()
        payload = {"sub": claims.username, "uid": claims.user_id, "role": claims.role, "ver": claims.version,
                   "iss": _ISSUER, "aud": _AUDIENCE, "jti": secrets.token_urlsafe(16), "iat": now,
                   "exp": now + timedelta(seconds=TICKET_SECONDS)}
        return jwt.encode(payload, self._tokens.signing_key, algorithm=_ALGORITHM)

    def redeem(self, ticket: str) -> Claims:
        """The ticket's claims, once; AuthenticationRequired when forged, expired, malformed or used."""
        try:
            data = jwt.decode(ticket, self._tokens.signing_key, algorithms=[_ALGORITHM], issuer=_ISSUER,
                              audience=_AUDIENCE, options={"require": ["exp", "iat", "sub", "uid", "jti"]})
            claims = claims_of(data)
            jti = str(data["jti"])
        except (jwt.InvalidTokenError, KeyError, TypeError, ValueError) as exc:
            raise AuthenticationRequired("invalid or expired socket ticket") from exc
        now = self._clock()
        self._used = {key: until for key, until in self._used.items() if until > now}
        if jti in self._used:
            raise AuthenticationRequired("this socket ticket was already used")
        self._used[jti] = now + TICKET_SECONDS + 5
        return claims


def ticket_ledger(app: Any, tokens: TokenService) -> TicketLedger:
    """The app's ledger (made on first use)."""
    ledger: TicketLedger | None = getattr(app.state, "ws_tickets", None)
    if ledger is None:
        ledger = app.state.ws_tickets = TicketLedger(tokens)
    return ledger
