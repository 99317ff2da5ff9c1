"""Events of the messaging package: a message's status moved, an SMS came in.

The desktop shows them live (the customer's conversation and timeline); published after the
change is committed.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.events.base import Event


@dataclass(frozen=True, kw_only=True)
class MessageStatusChanged(Event, type_name="message.status_changed"):
    """``status``: queued, sending, sent, delivered, failed, unknown, blocked. ``bulk_id``: the
    bulk run it belongs to (its progress is read, not pushed)."""

    message_id: int
    customer_id: int | None
    channel: str
    direction: str
    status: str
    provider: str | None = None
    reason: str | None = None
    bulk_id: int | None = None
    sent_by_id: int | None = None  # the user who sent it


@dataclass(frozen=True, kw_only=True)
class InboundMessageReceived(Event, type_name="message.inbound"):
    """An SMS from ``from_number`` joined ``customer_id``'s conversation (None: nobody we know).
    ``opted_out``: it was a stop word and SMS consent is now revoked."""

    message_id: int
    customer_id: int | None
    customer_name: str | None
    from_number: str
    text: str
    opted_out: bool = False
