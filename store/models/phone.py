"""The browser phone (issue 20): each agent's phone line, and the call controls used on calls.

A user without a ``PhoneLine`` keeps a desk phone (the behaviour before the browser phone): they
may go ready without a registration. A ``webrtc`` line is provisioned on the PBX as an endpoint
named ``sip_user`` whose digest secret lives only as ``password_digest`` (md5 of
``user:realm:secret``), rotated at every sign-in; the plaintext goes to the browser once.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, IntPk, Timestamped, utcnow


class PhoneKind(enum.StrEnum):
    WEBRTC = "webrtc"  # the desk is the phone (an endpoint provisioned on the PBX)
    DESK = "desk"  # a phone on the desk, declared in the profile


class PhoneLine(Timestamped, Base):
    __tablename__ = "phone_lines"

    id: Mapped[IntPk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[PhoneKind] = mapped_column(Enum(PhoneKind, native_enum=False, length=16))
    sip_user: Mapped[str | None] = mapped_column(String(64), unique=True)  # the PBX endpoint: 2001
    password_digest: Mapped[str | None] = mapped_column(String(80))  # md5:<hex>; None: no session open
    secret_rotated_at: Mapped[datetime | None]
    registered: Mapped[bool] = mapped_column(default=False)
    registration_status: Mapped[str | None] = mapped_column(String(32))
    registration_at: Mapped[datetime | None]


class CallAction(Base):
    """One control used on a call (hold, transfer, recording pause ...): the call log's detail."""

    __tablename__ = "call_actions"

    id: Mapped[IntPk]
    call_id: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))  # hold, unhold, transfer_blind, transfer_warm ...
    target: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16), default="done")  # requested, done, failed
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
