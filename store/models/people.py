"""Users, campaigns, customers, their phone numbers, serials and contacts."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Enum, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, Code, IntPk, Timestamped

WORK_SORT_COLUMNS = ("overdue_amount", "days_past_due", "risk_score", "last_contact_at", "next_action_at",
                     "promise_state")


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Relation(enum.StrEnum):
    """Who a phone number belongs to, relative to the customer (seed 000's Action)."""

    CUSTOMER = "customer"
    GUARANTOR = "guarantor"
    RELATIONSHIP_OFFICER = "relationship_officer"
    ALTERNATIVE_CONTACT = "alternative_contact"


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[IntPk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    password_hash: Mapped[str] = mapped_column(String(256))
    extension: Mapped[str | None] = mapped_column(String(128), unique=True)  # PJSIP/1001, client:amina
    queues: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Sessions: a token carries the version it was issued at; bumping it ends every older token
    # (sign-out, password, role or active changed). Sign-in lockout: consecutive failures and the lock.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # The zone the agent reads and enters times in (issue 15 item 9); None: the centre's zone.
    timezone: Mapped[str | None] = mapped_column(String(64))


class Campaign(Timestamped, Base):
    __tablename__ = "campaigns"

    id: Mapped[IntPk]
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(128))
    carrier: Mapped[str] = mapped_column(String(16), default="asterisk")
    queue: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)


class CampaignAgent(Base):
    """Seed 003: campaigns assigned to agents."""

    __tablename__ = "campaign_agents"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[IntPk]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class Customer(Timestamped, Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_name_lower", "name_lower"),
        # The work list's sorts (issue 15 item 10): each column with the id as the tie-break.
        *(Index(f"ix_customers_work_{name}", name, "id") for name in WORK_SORT_COLUMNS),
        # ... and within one agent's customers (an agent's list walks only their own rows)
        *(Index(f"ix_customers_agent_{name}", "assigned_agent_id", name, "id")
          for name in ("name_lower", *WORK_SORT_COLUMNS)),
    )

    id: Mapped[IntPk]
    name: Mapped[str] = mapped_column(String(200))
    name_lower: Mapped[str] = mapped_column(String(200))  # for case-insensitive search
    government_id: Mapped[str | None] = mapped_column(String(64), index=True)
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(64))  # client status (seed 000 list)
    risk_score: Mapped[float] = mapped_column(default=0.0)  # 0..1
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # Compliance (take effect at once): do-not-call, consent to call alternative contacts.
    do_not_call: Mapped[bool] = mapped_column(default=False)
    do_not_call_at: Mapped[datetime | None]
    call_consent_revoked_at: Mapped[datetime | None]
    sms_consent_revoked_at: Mapped[datetime | None]
    alt_contacts_consent: Mapped[bool] = mapped_column(default=False)
    # The work list's summary (issue 15 item 10), kept by store.repositories.work_summary whenever a loan, note,
    # follow-up task or promise of the customer is written: sortable and filterable at 100,000 rows.
    overdue_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"), server_default="0")
    days_past_due: Mapped[int] = mapped_column(default=0, server_default="0")
    last_contact_at: Mapped[datetime | None]
    next_action_at: Mapped[datetime | None]
    next_action_kind: Mapped[str | None] = mapped_column(String(16))
    promise_state: Mapped[str] = mapped_column(String(16), default="none", server_default="none")

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerPhone.position"
    )
    serials: Mapped[list[ProductSerial]] = relationship(cascade="all, delete-orphan")
    contacts: Mapped[list[Contact]] = relationship(back_populates="customer", cascade="all, delete-orphan")

    @property
    def live_contacts(self) -> list[Contact]:
        """The contacts not removed (``contacts`` must be loaded); removed ones stay for history."""
        return [c for c in self.contacts if c.removed_at is None]


class CustomerPhone(Base):
    """A customer's numbers in E.164; position 0 is the main ``phone``."""

    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("customer_id", "e164"),)

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(20), index=True)
    label: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)

    customer: Mapped[Customer] = relationship(back_populates="phones")


class ProductSerial(Base):
    """Seed 001: product serial numbers (e.g. a solar control unit)."""

    __tablename__ = "product_serials"

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    serial: Mapped[str] = mapped_column(String(64), index=True)


class Contact(Timestamped, Base):
    """Guarantors, the relationship officer and alternative contacts of a customer (seed 000)."""

    __tablename__ = "contacts"

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    relation: Mapped[Relation] = mapped_column(Enum(Relation, native_enum=False, length=32))
    name: Mapped[str] = mapped_column(String(200))
    relationship_label: Mapped[str | None] = mapped_column(String(64))  # "brother", "employer" ...
    phone_e164: Mapped[str] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A removed contact is kept (for history and the audit log), never dialled or messaged again.
    removed_at: Mapped[datetime | None]
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    customer: Mapped[Customer] = relationship(back_populates="contacts")
