"""Customers: create and search (name, any phone format, IDs, serials).

The screen-pop's lookup is not here: it is the pop's own statement (``store.repositories.caller_lookup``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from domain.errors import Conflict, InvalidInput, NotFound
from domain.phone import require_e164, to_e164
from store.models import Campaign, Contact, Customer, CustomerPhone, ProductSerial, Relation, User, utcnow
from store.repositories.records import CustomerRecord, load_record
from store.repositories.work_list import SortParam, WorkFilter, order_by


@dataclass(frozen=True, slots=True)
class ContactInput:
    """A guarantor, relationship officer or alternative contact to attach to a customer."""

    name: str
    phone: str
    relation: Relation = Relation.ALTERNATIVE_CONTACT
    relationship: str | None = None
    email: str | None = None

    @classmethod
    def coerce(cls, value: ContactInput | Mapping[str, Any]) -> ContactInput:
        if isinstance(value, ContactInput):
            return value
        try:
            relation = Relation(value.get("relation") or Relation.ALTERNATIVE_CONTACT)
        except ValueError as exc:
            raise InvalidInput("unknown contact relation", {"relation": str(exc)}) from exc
        return cls(name=str(value["name"]), phone=str(value["phone"]), relation=relation,
                   relationship=value.get("relationship"), email=value.get("email"))


def check_timezone(value: str, field: str = "timezone") -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {value!r}", {field: "not an IANA time zone name"}) from exc
    return value


def clean_serials(serials: Iterable[str]) -> list[str]:
    return [s for s in dict.fromkeys(x.strip() for x in serials) if s]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def get_customer(session: AsyncSession, customer_id: int, *, with_children: bool = False,
                       with_phones: bool = False) -> Customer:
    """The customer (with phones, serials and contacts loaded if asked), or NotFound.
    ``with_phones``: the phones only, joined to the customer's row (one statement, not two)."""
    query = select(Customer).where(Customer.id == customer_id)
    if with_children:
        query = query.options(selectinload(Customer.phones), selectinload(Customer.serials),
                              selectinload(Customer.contacts))
    elif with_phones:
        query = query.options(joinedload(Customer.phones))
    customer = (await session.scalars(query)).unique().first()
    if customer is None:
        raise NotFound(f"no customer {customer_id}", {"id": str(customer_id)})
    return customer


class CustomerRepository:
    def __init__(self, session: AsyncSession, region: str, default_timezone: str) -> None:
        self.session = session
        self.region = region
        self.default_timezone = default_timezone

    # --- writes -----------------------------------------------------------------------------------

    async def create(
        self,
        name: str,
        phone: str,
        phones: Sequence[str] = (),
        government_id: str | None = None,
        client_id: str | None = None,
        serial_numbers: Sequence[str] = (),
        timezone: str | None = None,
        email: str | None = None,
        region: str | None = None,
        status: str | None = None,
        campaign_code: str | None = None,
        assigned_agent: str | None = None,
        risk_score: float = 0.0,
        contacts: Sequence[ContactInput | Mapping[str, Any]] = (),
        do_not_call: bool = False,
        alt_contacts_consent: bool = False,
    ) -> Customer:
        """Validate and add a customer (flushed, so ``id`` is set). InvalidInput names the field."""
        clean_name = name.strip()
        if not clean_name:
            raise InvalidInput("a name is required", {"name": "must not be empty"})
        numbers = self.normalise_phones(phone, phones)
        if client_id is not None and await self._client_id_taken(client_id):
            raise Conflict(f"client ID {client_id!r} is already used", {"client_id": "already used"})
        customer = Customer(
            name=clean_name, name_lower=clean_name.casefold(), government_id=government_id or None,
            client_id=client_id or None, email=email, region=region, status=status,
            timezone=check_timezone(timezone or self.default_timezone), risk_score=float(risk_score),
            do_not_call=do_not_call, alt_contacts_consent=alt_contacts_consent,
        )
        customer.phones = [CustomerPhone(e164=n, position=i) for i, n in enumerate(numbers)]
        customer.serials = [ProductSerial(serial=s) for s in clean_serials(serial_numbers)]
        customer.contacts = [self._contact(ContactInput.coerce(c), f"contacts.{i}")
                             for i, c in enumerate(contacts)]
        if assigned_agent is not None:
            customer.assigned_agent_id = await self.agent_id(assigned_agent)
        if campaign_code is not None:
            customer.campaign_id = (await self.campaign(campaign_code)).id
        self.session.add(customer)
        await self.session.flush()
        return customer

    def normalise_phones(self, phone: str, phones: Iterable[str] = ()) -> list[str]:
        """The main number first, then the others, all E.164 and without repeats."""
        main = require_e164(phone, self.region, "phone")
        others = [require_e164(p, self.region, f"phones.{i}") for i, p in enumerate(phones)]
        return list(dict.fromkeys([main, *others]))

    async def same_identity(self, numbers: Sequence[str], government_id: str | None,
                            limit: int = 5) -> list[tuple[Customer, str]]:
        """Customers who already have one of ``numbers`` (E.164) or ``government_id``, each with
        what matched (``phone`` or ``government_id``), phone matches first."""
        found: dict[int, tuple[Customer, str]] = {}
        if numbers:
            for c in await self.session.scalars(
                    select(Customer).join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
                    .where(CustomerPhone.e164.in_(list(numbers))).order_by(Customer.id).limit(limit)):
                found.setdefault(c.id, (c, "phone"))
        if government_id:
            for c in await self.session.scalars(
                    select(Customer).where(Customer.government_id == government_id).order_by(Customer.id)
                    .limit(limit)):
                found.setdefault(c.id, (c, "government_id"))
        return list(found.values())[:limit]

    def _contact(self, data: ContactInput, field: str) -> Contact:
        if not data.name.strip():
            raise InvalidInput("a contact needs a name", {f"{field}.name": "must not be empty"})
        return Contact(relation=data.relation, name=data.name.strip(), relationship_label=data.relationship,
                       phone_e164=require_e164(data.phone, self.region, f"{field}.phone"), email=data.email)

    async def add_contact(self, customer_id: int, data: ContactInput,
                          created_by_id: int | None = None) -> Contact:
        contact = self._contact(data, "contact")
        contact.customer_id = customer_id
        contact.created_by_id = created_by_id
        self.session.add(contact)
        await self.session.flush()
        return contact

    async def set_phones(self, customer: Customer, phone: str | None, phones: Sequence[str] | None) -> None:
        """Replace the numbers (``customer.phones`` must be loaded). ``phone`` None keeps the main one."""
        current = [p.e164 for p in customer.phones]
        main = phone if phone is not None else (current[0] if current else "")
        rest = list(phones) if phones is not None else current[1:]
        numbers = self.normalise_phones(main, rest)
        existing = {p.e164: p for p in customer.phones}
        customer.phones = [existing.get(n) or CustomerPhone(e164=n) for n in numbers]
        for position, row in enumerate(customer.phones):
            row.position = position

    async def set_serials(self, customer: Customer, serials: Sequence[str]) -> None:
        """Replace the product serials (``customer.serials`` must be loaded)."""
        existing = {s.serial: s for s in customer.serials}
        customer.serials = [existing.get(s) or ProductSerial(serial=s) for s in clean_serials(serials)]

    async def agent_id(self, username: str, field: str = "assigned_agent") -> int:
        user_id = await self.session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise InvalidInput(f"no user {username!r}", {field: f"unknown user {username!r}"})
        return user_id

    async def campaign(self, code: str, create: bool = True) -> Campaign:
        """The campaign with ``code``; created (named after its code) when missing and ``create``."""
        found = await self.session.scalar(select(Campaign).where(Campaign.code == code))
        if found is None:
            if not create:
                raise NotFound(f"no campaign {code!r}", {"campaign": f"unknown campaign {code!r}"})
            found = Campaign(code=code, name=code.replace("_", " ").title())
            self.session.add(found)
            await self.session.flush()
        return found

    async def _client_id_taken(self, client_id: str, except_id: int | None = None) -> bool:
        query = select(Customer.id).where(Customer.client_id == client_id)
        if except_id is not None:
            query = query.where(Customer.id != except_id)
        return (await self.session.scalar(query.limit(1))) is not None

    # --- reads ------------------------------------------------------------------------------------

    async def get(self, customer_id: int, *, with_children: bool = False) -> Customer:
        return await get_customer(self.session, customer_id, with_children=with_children)

    async def search(self, q: str | None, limit: int = 20, agent_id_filter: int | None = None,
                     offset: int = 0, *, sort: SortParam = "name", work: WorkFilter | None = None,
                     now: datetime | None = None) -> list[Customer]:
        """Exact identifier hits (phone, government ID, client ID, serial) first, then name matches.

        With no ``q`` it browses the work list in ``sort`` order. ``agent_id_filter`` keeps only that
        agent's customers; ``work`` narrows by the work list's columns (store.repositories.work_list).
        """
        text = (q or "").strip()
        conditions = (work or WorkFilter()).conditions(now or utcnow())
        ordering = order_by(sort)
        if not text:
            return await self._all(self._base(agent_id_filter).where(*conditions).order_by(*ordering)
                                   .offset(offset).limit(limit))
        ids: list[int] = []
        for query in self._identifier_queries(text):
            for customer_id in await self.session.scalars(query.limit(limit + offset)):
                if customer_id not in ids:
                    ids.append(customer_id)
        found: dict[int, Customer] = {}
        if ids:
            rows = await self._all(self._base(agent_id_filter).where(Customer.id.in_(ids), *conditions))
            found = {c.id: c for c in rows}
        exact = [found[i] for i in ids if i in found]
        pattern = f"%{_escape_like(text.casefold())}%"
        need = limit + offset - len(exact)
        named: list[Customer] = []
        if need > 0:
            named = await self._all(
                self._base(agent_id_filter)
                .where(Customer.name_lower.like(pattern, escape="\\"), Customer.id.not_in(ids or [0]), *conditions)
                .order_by(*ordering).limit(need))
        return [*exact, *named][offset:offset + limit]

    def _identifier_queries(self, text: str) -> list[Select[int]]:
        queries: list[Select[int]] = []
        e164 = to_e164(text, self.region)
        if e164 is not None:
            queries.append(select(CustomerPhone.customer_id).where(CustomerPhone.e164 == e164))
        queries.append(select(Customer.id).where(Customer.government_id == text))
        queries.append(select(Customer.id).where(Customer.client_id == text))
        queries.append(select(ProductSerial.customer_id).where(ProductSerial.serial == text))
        return queries

    def _base(self, agent_id_filter: int | None) -> Select[Customer]:
        query = select(Customer).options(selectinload(Customer.phones), selectinload(Customer.serials))
        if agent_id_filter is not None:
            query = query.where(Customer.assigned_agent_id == agent_id_filter)
        return query

    async def _all(self, query: Select[Customer]) -> list[Customer]:
        return list((await self.session.scalars(query)).all())

    async def get_record(self, customer_id: int) -> CustomerRecord:
        """The whole record: summary, loans with schedule, statement, contacts, history, work."""
        return await load_record(self.session, await self.get(customer_id, with_children=True))
