"""Per-session SIP credentials (pure): a fresh random secret at each sign-in, whose digest alone
is written into the PBX.

The browser gets the secret once, over its signed-in HTTPS session, and keeps it in memory only;
Asterisk keeps ``password_digest = md5:<md5(user:realm:secret)>`` (RFC 2617's HA1: the hash is
enough to answer a challenge for this realm but is not the secret). A new sign-in writes a new
digest, so a secret from an older session stops working at the PBX's reload.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from domain.errors import InvalidInput

SECRET_BYTES = 24
NO_SESSION_DIGEST = "md5:" + "0" * 32  # an endpoint with no open session: no secret hashes to this
_SIP_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def ha1(username: str, realm: str, secret: str) -> str:
    """RFC 2617 HA1, what Asterisk stores for ``auth_type = digest`` with ``password_digest``."""
    return hashlib.md5(f"{username}:{realm}:{secret}".encode(), usedforsecurity=False).hexdigest()


def password_digest(username: str, realm: str, secret: str) -> str:
    return "md5:" + ha1(username, realm, secret)


def sip_user_of(extension: str | None) -> str:
    """The PBX endpoint of an Asterisk extension: ``PJSIP/2001`` -> ``2001``; InvalidInput otherwise."""
    text = (extension or "").strip()
    tech, sep, name = text.partition("/")
    if not sep or tech.upper() != "PJSIP" or not _SIP_USER.match(name):
        raise InvalidInput("a browser phone needs an Asterisk extension such as PJSIP/2001",
                           {"extension": "expected PJSIP/<name> (letters, digits, . _ -)"})
    return name


@dataclass(frozen=True, slots=True)
class SipSession:
    """What the desk's SIP user agent needs: sent to the browser once, at sign-in."""

    ws_url: str
    sip_uri: str
    username: str
    secret: str
    realm: str
    display_name: str
    register_expires: int
    ice_servers: tuple[str, ...] = ()
    loopback_ice: bool = False
    early_ice: bool = True
    audio_processing: bool = True

    def to_json(self) -> dict[str, object]:
        return {"kind": "sip", "ws_url": self.ws_url, "sip_uri": self.sip_uri, "username": self.username,
                "secret": self.secret, "realm": self.realm, "display_name": self.display_name,
                "register_expires": self.register_expires, "ice_servers": list(self.ice_servers),
                "loopback_ice": self.loopback_ice, "early_ice": self.early_ice,
                "audio_processing": self.audio_processing}
