"""The messaging component's objects, built once from the settings: what the routes, the note
hook, the CLI and the bench use.

    service = MessagingService.build(settings, database, lists, pack, publish=bus.publish)
    await service.start(spawn)          # breakers; the sender's loops under the task supervisor
    msg = await service.queue(session, customer, Draft(...), agent=user)   # in the caller's transaction
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from config.lists import Lists
from config.settings import Settings
from domain.compliance import Pack
from domain.errors import MessagingOff
from domain.events import Event
from messaging.breakers import ProviderBreakers
from messaging.email import EmailSender
from messaging.outbox import Composer, Draft
from messaging.providers.africastalking import AfricasTalkingProvider
from messaging.providers.base import ClientPool, SmsProvider, Timeouts
from messaging.providers.infobip import InfobipProvider
from messaging.rates import ProviderRates
from messaging.sender import Publish, Sender, status_event
from store.db import Database
from store.models import Customer, Interaction, Message, User
from store.repositories.customers import get_customer

log = logging.getLogger(__name__)
Spawn = Callable[[str, Callable[[], Awaitable[object]]], object]


def utcnow() -> datetime:
    return datetime.now(UTC)


def build_providers(settings: Settings) -> dict[str, SmsProvider]:
    sms = settings.sms
    providers: dict[str, SmsProvider] = {}
    for name in sms.providers:
        client = ClientPool(sms.concurrency, Timeouts(sms.connect_timeout, sms.request_timeout))
        if name == "africastalking":
            providers[name] = AfricasTalkingProvider(sms.africastalking, client)
        else:
            providers[name] = InfobipProvider(sms.infobip, client)
    return providers


@dataclass
class MessagingService:
    settings: Settings
    database: Database
    composer: Composer
    sender: Sender
    breakers: ProviderBreakers
    providers: dict[str, SmsProvider]
    publish: Publish

    @classmethod
    def build(cls, settings: Settings, database: Database, lists: Callable[[], Lists], pack: Pack, *,
              publish: Publish, clock: Callable[[], datetime] = utcnow) -> MessagingService:
        sms = settings.sms
        providers = build_providers(settings)
        breakers = ProviderBreakers(list(providers), threshold=sms.breaker_threshold,
                                    reset_seconds=sms.breaker_reset_seconds, redis_url=settings.redis_url,
                                    prefix=settings.redis_prefix)
        rates = ProviderRates({"africastalking": sms.africastalking.rate_per_second,
                               "infobip": sms.infobip.rate_per_second},
                              redis_url=settings.redis_url, prefix=settings.redis_prefix)
        email = EmailSender(settings.smtp, database, settings.attachments_dir) if settings.smtp.enabled else None
        sender = Sender(database, sms, providers=providers, breakers=breakers, rates=rates, email=email,
                        worker_id=f"{settings.worker_id}:sender", publish=publish, clock=clock)
        return cls(settings, database, Composer(settings, lists, pack, clock), sender, breakers, providers, publish)

    @property
    def pack(self) -> Pack:
        return self.composer.pack

    def now(self) -> datetime:
        """The service's clock: what a webhook stamps its rows with, like the sender and the composer."""
        return self.composer.clock()

    def channel_on(self, channel: str) -> bool:
        return self.settings.sms.enabled if channel == "sms" else self.settings.smtp.enabled

    def require(self, channel: str) -> None:
        if not self.channel_on(channel):
            what = ("SMS is off: no provider is configured (SWITCHBOARD_SMS__PROVIDERS)" if channel == "sms"
                    else "email is off: no SMTP server is configured (SWITCHBOARD_SMTP__HOST, __FROM)")
            raise MessagingOff(what, {"channel": what})

    async def start(self, spawn: Spawn) -> None:
        await self.breakers.start()
        if self.settings.sms.sender_enabled and self.sender.channels:
            spawn("messaging.sender", self.sender.run)
            spawn("messaging.reaper", self.sender.reap)
            spawn("messaging.settle", self.sender.settle)

    async def close(self) -> None:
        for provider in self.providers.values():
            await provider.aclose()

    async def queue(self, session: AsyncSession, customer: Customer, draft: Draft, *, agent: User | None,
                    interaction_id: int | None = None, bulk_id: int | None = None, priority: int = 0) -> Message:
        """Write the message in ``session``'s transaction (``customer`` with its children loaded)."""
        self.require(draft.channel)
        return await self.composer.queue(session, customer, draft, agent_name=agent.display_name if agent else None,
                                         created_by_id=agent.id if agent else None, interaction_id=interaction_id,
                                         bulk_id=bulk_id, priority=priority)

    async def queue_for_note(self, session: AsyncSession, customer: Customer, note: Interaction,
                             agent: User) -> Message | None:
        """The follow-up note's "send the client a message": the same path, in the note's transaction."""
        if not note.send_message:
            return None
        channel: Literal["sms", "email"] = "email" if note.channel == "email" else "sms"
        if not self.channel_on(channel):
            return None
        customer = await get_customer(session, customer.id, with_children=True)
        draft = Draft(channel=channel, template=note.message_template, body=note.message_body,
                      subject=note.subject if channel == "email" else None,
                      values={"promised_amount": note.promised_amount, "promised_date": note.promised_date,
                              "callback_at": note.callback_at})
        return await self.queue(session, customer, draft, agent=agent, interaction_id=note.id)

    async def committed(self, message: Message) -> None:
        """After the caller committed: tell the desktops, wake this process's sender."""
        await self.publish(status_event(message, message.status, reason=message.reason))
        if message.status == "queued":
            self.sender.poke()


async def publish_nothing(_event: Event) -> None:
    return None
