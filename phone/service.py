"""The browser phone's sessions: declare an agent's phone, open a per-session SIP secret (or a
Twilio token) at sign-in, close it at sign-out, follow the PBX's view of the registration, and
say whether the agent may go ready.

Ready needs a usable phone: a browser phone the PBX reports registered, or a desk phone declared
in the profile. A user without a declared phone keeps the behaviour from before the browser phone
(a desk phone). Registration comes from the PBX (AMI ContactStatus -> PhoneRegistrationChanged),
never from the browser's word, and is pushed to the agent's desk as ``phone.registration``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bus.base import EventBus, Outbox
from bus.outbox_names import PHONE_REGISTRATION, agent_stream
from config.settings import Settings
from domain.carrier import carrier_for_device
from domain.errors import Conflict, InvalidInput
from domain.events import PbxCommandDone, PhoneRegistrationChanged, UserAccountChanged
from phone.credentials import SipSession, new_secret, password_digest, sip_user_of
from phone.provisioner import Provisioner
from phone.twilio_token import identity_of, mint_voice_token
from store.db import Database
from store.models import PhoneKind, PhoneLine, User
from store.repositories.phone import PhoneLineRepository

log = logging.getLogger(__name__)
GROUP = "phone"


def device_endpoint(device: str) -> str | None:
    """``PJSIP/2001`` -> ``2001`` (None for other technologies)."""
    tech, sep, name = device.partition("/")
    return name if sep and tech.upper() == "PJSIP" and name else None


@dataclass(frozen=True, slots=True)
class PhoneStatus:
    kind: str  # webrtc, desk
    carrier: str
    device: str | None
    registered: bool
    registration_status: str | None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "carrier": self.carrier, "device": self.device, "registered": self.registered,
                "registration_status": self.registration_status}


class PhoneService:
    def __init__(self, database: Database, settings: Settings, outbox: Outbox | None,
                 provisioner: Provisioner) -> None:
        self._db, self._settings, self._outbox = database, settings, outbox
        self.provisioner = provisioner

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(PhoneRegistrationChanged, self.on_registration, group=f"{GROUP}-registration")
        bus.subscribe(UserAccountChanged, self.on_user_changed, group=f"{GROUP}-accounts")
        bus.subscribe(PbxCommandDone, self.on_command_done, group=f"{GROUP}-reloads")

    # -- the profile's phone -------------------------------------------------------------------
    @staticmethod
    def _status(user: User, line: PhoneLine | None) -> PhoneStatus:
        carrier = carrier_for_device(user.extension)
        if line is None or line.kind is PhoneKind.DESK:
            return PhoneStatus("desk", carrier, user.extension, False, None)
        return PhoneStatus("webrtc", carrier, user.extension, line.registered, line.registration_status)

    async def status(self, user: User) -> PhoneStatus:
        async with self._db.session() as session:
            return self._status(user, await PhoneLineRepository(session).line_of(user.id))

    async def declare(self, user: User, kind: PhoneKind) -> PhoneStatus:
        """The admin sets the user's phone: a browser phone is provisioned, a desk phone removed."""
        sip_user: str | None = None
        if kind is PhoneKind.WEBRTC:
            if not user.extension:
                raise InvalidInput("give the user an extension first", {"extension": "missing"})
            if carrier_for_device(user.extension) == "asterisk":
                sip_user = sip_user_of(user.extension)
            else:
                identity_of(user.extension)  # client:<name> (a Twilio browser phone): checked here
        async with self._db.session() as session:
            repo = PhoneLineRepository(session)
            taken = await repo.by_sip_user(sip_user) if sip_user else None
            if taken is not None and taken.user_id != user.id:
                raise Conflict("another user's browser phone has this extension", {"extension": user.extension})
            line = await repo.set_kind(user, kind, sip_user)
            status = self._status(user, line)
        await self._provision()
        return status

    # -- sessions --------------------------------------------------------------------------------
    async def open_session(self, user: User) -> dict[str, Any]:
        """At sign-in (the desk asks): a fresh SIP secret whose digest replaces the last one at the
        PBX, or a Twilio access token; ``{"kind": "desk"}`` for a desk phone."""
        if not user.extension:
            return {"kind": "none"}  # e.g. a supervisor on the desk: no phone at all
        async with self._db.session() as session:
            repo = PhoneLineRepository(session)
            line = await repo.line_of(user.id)
            if line is None or line.kind is PhoneKind.DESK:
                return {"kind": "desk", "device": user.extension}
            if carrier_for_device(user.extension) == "twilio":
                return self._twilio_token(user)
            if line.sip_user is None:
                raise Conflict("this browser phone has no endpoint; ask an administrator", {"extension": "none"})
            secret = new_secret()
            realm = self._settings.phone.realm
            await repo.set_digest(line, password_digest(line.sip_user, realm, secret))
            sip_user = line.sip_user
        await self._provision()
        phone = self._settings.phone
        sip = SipSession(ws_url=phone.ws_url, sip_uri=f"sip:{sip_user}@{phone.sip_domain}", username=sip_user,
                         secret=secret, realm=realm, display_name=user.display_name,
                         register_expires=phone.register_expires, ice_servers=tuple(phone.ice_servers),
                         loopback_ice=phone.loopback_ice, early_ice=phone.early_ice,
                         audio_processing=phone.audio_processing)
        return {**sip.to_json(), "device": user.extension, "provisioned": self.provisioner.enabled}

    def _twilio_token(self, user: User) -> dict[str, Any]:
        twilio, phone = self._settings.twilio, self._settings.phone
        token = mint_voice_token(account_sid=twilio.account_sid, api_key_sid=phone.twilio_api_key_sid,
                                 api_key_secret=phone.twilio_api_key_secret.get_secret_value(),
                                 identity=identity_of(user.extension), ttl_seconds=phone.token_ttl_seconds,
                                 outgoing_app_sid=phone.twilio_app_sid)
        return {**token.to_json(), "device": user.extension}

    async def close_session(self, user: User) -> None:
        """At sign-out: the last secret stops working (the endpoint keeps a digest nothing matches)."""
        async with self._db.session() as session:
            repo = PhoneLineRepository(session)
            line = await repo.line_of(user.id)
            if line is None or line.kind is not PhoneKind.WEBRTC or line.password_digest is None:
                return
            await repo.set_digest(line, None)
        await self._provision()

    async def _provision(self) -> Any:
        if not self.provisioner.enabled:
            return None
        return await self.provisioner.provision()

    # -- the ready gate ---------------------------------------------------------------------------
    async def check_ready(self, user: User) -> None:
        """Raise Conflict unless the agent has a usable phone (see the module docstring)."""
        status = await self.status(user)
        if status.kind == "webrtc" and not status.registered and status.carrier == "asterisk":
            raise Conflict("your browser phone is not registered yet: wait for it to show Registered, "
                           "or check the microphone", {"phone": status.registration_status or "not registered"})

    # -- events from the PBX and the admin API ------------------------------------------------------
    async def on_registration(self, ev: PhoneRegistrationChanged) -> None:
        endpoint = device_endpoint(ev.device)
        if endpoint is None:
            return
        async with self._db.session() as session:
            repo = PhoneLineRepository(session)
            if not await repo.set_registration(endpoint, ev.registered, ev.status, ev.at):
                return  # a desk phone or an endpoint we do not provision
            line = await repo.by_sip_user(endpoint)
            user = None if line is None else await session.get(User, line.user_id)
        if user is None or self._outbox is None:
            return
        await self._outbox.append(agent_stream(user.username), PHONE_REGISTRATION,
                                  {"device": ev.device, "registered": ev.registered, "status": ev.status})

    async def on_user_changed(self, ev: UserAccountChanged) -> None:
        """A user added, changed or disabled: the include follows (a disabled user's endpoint goes)."""
        if not self.provisioner.enabled:
            return
        try:
            await self.provisioner.provision()
        except Exception:  # never let the bus redeliver forever: the next change rewrites it all
            log.exception("provisioning after the change of %s failed", ev.username)

    async def on_command_done(self, ev: PbxCommandDone) -> None:
        if ev.command == "reload" and not ev.ok:
            log.error("the PBX refused to reload the browser phones (%s): %s", ev.request_id, ev.message)
