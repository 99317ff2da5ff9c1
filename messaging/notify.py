"""Status changes and inbound SMS onto the desktops that show them (the agent's socket stream).

Subscribed once per cluster (a bus group). A message's frame goes to the customer's assigned agent
and to whoever sent it: ``message.status`` (``message_id``, ``customer_id``, ``status``,
``channel``, ``direction``, ``provider``, ``reason``) and ``message.inbound`` (``message_id``,
``customer_id``, ``customer_name``, ``from_number``, ``text``, ``opted_out``). Bulk messages are
not pushed one by one: their run's progress is read.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from sqlalchemy import Integer, bindparam, select

from bus.base import EventBus, Outbox
from bus.outbox_names import MESSAGE_INBOUND, MESSAGE_STATUS, agent_stream
from domain.events import InboundMessageReceived, MessageStatusChanged
from store.db import Database
from store.hot import HotStatement
from store.models import Customer, User

# One statement each on the database's hot connections (no ORM session, no BEGIN/COMMIT): the
# sender's outcomes come back 32 at a time, each a status event for (often) another customer.
AGENT_OF = HotStatement(select(User.username).join(Customer, Customer.assigned_agent_id == User.id)
                        .where(Customer.id == bindparam("customer_id", type_=Integer)))
NAME_OF = HotStatement(select(User.username).where(User.id == bindparam("user_id", type_=Integer)))


class DesktopNotifier:
    """Who sees a message: the customer's assigned agent (read at most every ``TTL`` seconds per
    customer) and its sender (user names kept once read)."""

    TTL = 30.0
    CACHE = 5000

    def __init__(self, database: Database, outbox: Outbox) -> None:
        self.database = database
        self.outbox = outbox
        self._agents: OrderedDict[int, tuple[float, str | None]] = OrderedDict()
        self._names: dict[int, str] = {}

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(MessageStatusChanged, self.on_status, group="messaging.notify.status", concurrency=4)
        bus.subscribe(InboundMessageReceived, self.on_inbound, group="messaging.notify.inbound")

    async def _agent_of(self, customer_id: int) -> str | None:
        cached = self._agents.get(customer_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        async with self.database.hot() as hot:
            row = await hot.fetchrow(AGENT_OF, {"customer_id": customer_id})
        name: str | None = row[0] if row else None
        self._agents[customer_id] = (time.monotonic() + self.TTL, name)
        self._agents.move_to_end(customer_id)
        if len(self._agents) > self.CACHE:
            self._agents.popitem(last=False)
        return name

    async def _name_of(self, user_id: int) -> str | None:
        if user_id not in self._names:
            async with self.database.hot() as hot:
                row = await hot.fetchrow(NAME_OF, {"user_id": user_id})
            if row is None:
                return None
            self._names[user_id] = row[0]
        return self._names[user_id]

    async def _usernames(self, customer_id: int | None, sent_by_id: int | None) -> list[str]:
        names = {await self._agent_of(customer_id) if customer_id is not None else None,
                 await self._name_of(sent_by_id) if sent_by_id is not None else None}
        return sorted(name for name in names if name)

    async def on_status(self, event: MessageStatusChanged) -> None:
        if event.bulk_id is not None:
            return
        data = {"message_id": event.message_id, "customer_id": event.customer_id, "status": event.status,
                "channel": event.channel, "direction": event.direction, "provider": event.provider,
                "reason": event.reason, "at": event.at.isoformat()}
        users = await self._usernames(event.customer_id, event.sent_by_id)
        if users:
            await self.outbox.append_many([(agent_stream(u), MESSAGE_STATUS, data) for u in users])

    async def on_inbound(self, event: InboundMessageReceived) -> None:
        data = {"message_id": event.message_id, "customer_id": event.customer_id,
                "customer_name": event.customer_name, "from_number": event.from_number, "text": event.text,
                "opted_out": event.opted_out, "at": event.at.isoformat()}
        users = await self._usernames(event.customer_id, None)
        if users:
            await self.outbox.append_many([(agent_stream(u), MESSAGE_INBOUND, data) for u in users])
