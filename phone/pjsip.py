"""The PBX files `switchboard pbx provision` writes (pure: rows and settings in, text out).

* the PJSIP include with one WebRTC endpoint (+ auth + aor) per browser phone: DTLS-SRTP, ICE,
  AVPF and rtcp-mux come with ``webrtc = yes``; the secret is only ever a ``password_digest``;
* the dialplan include with the "this call may be recorded" context the queue lines call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from config.phone_settings import PhoneSettings, RecordingSettings
from domain.errors import ConfigError
from phone.credentials import NO_SESSION_DIGEST
from store.repositories.phone import ProvisionedLine

HEADER = "; Written by `switchboard pbx provision` on {at}: do not edit, it is rewritten.\n"
_PROMPT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_/.-]{0,120}$")
_WORD = re.compile(r"^[A-Za-z0-9_.,-]+$")
_DIGEST = re.compile(r"^md5:[0-9a-f]{32}$")
NOTICE_CONTEXT = "switchboard-recording-notice"


def _word(value: str, what: str) -> str:
    if not _WORD.match(value):
        raise ConfigError(f"{what} {value!r} cannot go into the PBX configuration", {what: value})
    return value


def _caller_name(text: str) -> str:
    """A display name safe inside ``callerid = "..." <2001>`` (no quotes, brackets or line breaks)."""
    return re.sub(r"[\"<>\\\r\n;]", "", text).strip()[:60] or "Agent"


def render_endpoints(lines: Sequence[ProvisionedLine], settings: PhoneSettings, *, at: datetime,
                     media_address: str | None = None) -> str:
    """The PJSIP include: templates, then endpoint/auth/aor per line (sorted by endpoint)."""
    transport, context = _word(settings.transport, "transport"), _word(settings.context, "context")
    codecs, realm = _word(settings.codecs, "codecs"), _word(settings.realm, "realm")
    out = [HEADER.format(at=at.isoformat(timespec="seconds")),
           "; Browser phones (WebRTC). Secrets: digests only, md5(user:realm:secret), rotated at sign-in.\n",
           "[switchboard-webrtc](!)", "type = endpoint", f"transport = {transport}", "webrtc = yes",
           "dtls_auto_generate_cert = yes", "disallow = all", f"allow = {codecs}", f"context = {context}",
           "direct_media = no", "dtmf_mode = rfc4733", f"rtp_timeout = {settings.rtp_timeout}",
           "rtp_timeout_hold = 600", "timers = no", "send_connected_line = no",
           "set_var = BRIDGE_FEATURES=T"]  # AMI Atxfer (warm transfer) needs the transfer feature
    if media_address:
        out += [f"media_address = {_word(media_address, 'media_address')}", "bind_rtp_to_media_address = yes"]
    out += ["", "[switchboard-webrtc-auth](!)", "type = auth", "auth_type = digest", f"realm = {realm}",
            "", "[switchboard-webrtc-aor](!)", "type = aor", "max_contacts = 1", "remove_existing = yes",
            "qualify_frequency = 0", ""]
    for line in sorted(lines, key=lambda item: item.sip_user):
        name = _word(line.sip_user, "endpoint")
        digest = line.password_digest or NO_SESSION_DIGEST
        if not _DIGEST.match(digest):
            raise ConfigError(f"the digest of {name} is malformed", {"endpoint": name})
        out += [f"[{name}](switchboard-webrtc)", f"auth = {name}", f"aors = {name}",
                f'callerid = "{_caller_name(line.display_name)}" <{name}>',
                f"[{name}](switchboard-webrtc-auth)", f"username = {name}", f"password_digest = {digest}",
                f"[{name}](switchboard-webrtc-aor)", ""]
    return "\n".join(out)


def render_notice(settings: RecordingSettings, *, at: datetime) -> str:
    """The dialplan context played before the queue: the notice prompt, or nothing when off."""
    out = [HEADER.format(at=at.isoformat(timespec="seconds")), f"[{NOTICE_CONTEXT}]"]
    if settings.enabled:
        if not _PROMPT.match(settings.notice_prompt):
            raise ConfigError("the recording notice prompt is not a sound name", {"notice_prompt": "bad name"})
        out += ["; callers hear the notice as early media: the call is not answered before an agent takes it",
                "exten => s,1,Progress()", f" same => n,Playback({settings.notice_prompt},noanswer)",
                " same => n,Return()"]
    else:
        out += ["; recording is off: no notice", "exten => s,1,Return()"]
    return "\n".join(out) + "\n"
