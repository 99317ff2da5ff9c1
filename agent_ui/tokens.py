"""Stateless sign-in tokens: HS256 JWTs signed with ``settings.secret_key``.

Every worker holding the same key accepts the token, so it works behind several workers; the same
token is sent as ``Authorization: Bearer`` or as the ``sb_token`` cookie; the pages' WebSocket uses a
single-use ticket instead (:mod:`agent_ui.ws_tickets`), and API clients may still pass ``?token=``.

A token carries the user's ``token_version`` (``ver``) when it was issued; the signed-in user is
checked against the store on every request and socket, and a token below the stored version is
refused (see :mod:`agent_ui.sessions`: sign-out, password, role and deactivation bump it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt

from domain.errors import AuthenticationRequired
from store.models import User, utcnow

COOKIE_NAME = "sb_token"
_ALGORITHM = "HS256"
_ISSUER = "switchboard"


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: int
    username: str
    role: str
    version: int = 0


def claims_of(data: dict[str, Any]) -> Claims:
    """The claims of a decoded payload (a sign-in token's or a socket ticket's); KeyError/ValueError if malformed."""
    return Claims(user_id=int(data["uid"]), username=str(data["sub"]), role=str(data.get("role")),
                  version=int(data.get("ver", 0)))


class TokenService:
    def __init__(self, secret_key: str, ttl_hours: int) -> None:
        if not secret_key:
            raise ValueError("a secret key is required")
        self._key = secret_key
        self.ttl = timedelta(hours=ttl_hours)

    @property
    def signing_key(self) -> str:
        """The HMAC key (also signs the socket tickets of :mod:`agent_ui.ws_tickets`)."""
        return self._key

    def issue(self, user: User) -> str:
        now = utcnow()
        payload = {"sub": user.username, "uid": user.id, "role": user.role.value, "iss": _ISSUER,
                   "ver": user.token_version or 0, "iat": now, "exp": now + self.ttl}
        return jwt.encode(payload, self._key, algorithm=_ALGORITHM)

    def decode(self, token: str) -> Claims:
        """The token's claims; AuthenticationRequired when it is forged, expired or malformed."""
        try:
            data = jwt.decode(token, self._key, algorithms=[_ALGORITHM], issuer=_ISSUER,
                              options={"require": ["exp", "iat", "sub", "uid"]})
            return claims_of(data)
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationRequired("the session has expired; sign in again") from exc
        except (jwt.InvalidTokenError, KeyError, TypeError, ValueError) as exc:
            raise AuthenticationRequired("invalid token") from exc
