"""Twilio Voice SDK access tokens for agents whose extension is ``client:<identity>`` (pure).

The ``twilio`` package's ``AccessToken`` with a ``VoiceGrant`` (incoming calls allowed; outgoing
through a TwiML App when one is configured), signed with an API key, valid at most one hour. The
desk refreshes it before it expires (the SDK's ``tokenWillExpire`` -> ``/api/phone/session``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import jwt as pyjwt
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from config.phone_settings import MAX_TOKEN_TTL
from domain.carrier import TWILIO_CLIENT_PREFIX as CLIENT_PREFIX
from domain.errors import ConfigError, InvalidInput


@dataclass(frozen=True, slots=True)
class VoiceToken:
    token: str
    identity: str
    expires_at: datetime
    ttl_seconds: int

    def to_json(self) -> dict[str, object]:
        return {"kind": "twilio", "token": self.token, "identity": self.identity,
                "expires_at": self.expires_at.isoformat(), "ttl_seconds": self.ttl_seconds}


def identity_of(extension: str | None) -> str:
    """``client:amina`` -> ``amina``; InvalidInput for anything else."""
    text = (extension or "").strip()
    if not text.startswith(CLIENT_PREFIX) or len(text) == len(CLIENT_PREFIX):
        raise InvalidInput("a Twilio browser phone needs an extension client:<identity>",
                           {"extension": "expected client:<identity>"})
    return text[len(CLIENT_PREFIX):]


def mint_voice_token(*, account_sid: str, api_key_sid: str, api_key_secret: str, identity: str, ttl_seconds: int,
                     outgoing_app_sid: str = "") -> VoiceToken:
    """A signed Voice access token for ``identity``, valid ``ttl_seconds`` (at most one hour)."""
    if not (account_sid and api_key_sid and api_key_secret):
        raise ConfigError("Twilio browser phones need SWITCHBOARD_TWILIO__ACCOUNT_SID and an API key "
                          "(SWITCHBOARD_PHONE__TWILIO_API_KEY_SID / __TWILIO_API_KEY_SECRET)",
                          {"phone.twilio_api_key_sid": "not set"})
    ttl = min(int(ttl_seconds), MAX_TOKEN_TTL)
    token = AccessToken(account_sid, api_key_sid, api_key_secret, identity=identity, ttl=ttl)
    token.add_grant(VoiceGrant(incoming_allow=True, outgoing_application_sid=outgoing_app_sid or None))
    payload = token.payload  # iat/exp stamped once, then encoded as they are
    jwt = str(pyjwt.encode(payload, api_key_secret, algorithm=AccessToken.ALGORITHM, headers=token.headers))
    return VoiceToken(token=jwt, identity=identity, expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
                      ttl_seconds=ttl)
