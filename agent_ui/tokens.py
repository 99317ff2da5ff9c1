"""Stateless sign-in tokens: HS256 JWTs signed with ``settings.secret_key``.

Every worker holding the same key accepts the token, so it works behind several workers; the same
token is sent as ``Authorization: Bearer``, as the ``sb_token`` cookie, or as ``?token=`` on the
WebSocket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

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


class TokenService:
    def __init__(self, secret_key: str, ttl_hours: int) -> None:
        if not secret_key:
            raise ValueError("a secret key is required")
        self._key = secret_key
        self.ttl = timedelta(hours=ttl_hours)

    def issue(self, user: User) -> str:
        now = utcnow()
        payload = {"sub": user.username, "uid": user.id, "role": user.role.value, "iss": _ISSUER,
                   "iat": now, "exp": now + self.ttl}
        return jwt.encode(payload, self._key, algorithm=_ALGORITHM)

    def decode(self, token: str) -> Claims:
        """The token's claims; AuthenticationRequired when it is forged, expired or malformed."""
        try:
            data = jwt.decode(token, self._key, algorithms=[_ALGORITHM], issuer=_ISSUER,
                              options={"require": ["exp", "iat", "sub", "uid"]})
            return Claims(user_id=int(data["uid"]), username=str(data["sub"]), role=str(data.get("role")))
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationRequired("the session has expired; sign in again") from exc
        except (jwt.InvalidTokenError, KeyError, TypeError, ValueError) as exc:
            raise AuthenticationRequired("invalid token") from exc
