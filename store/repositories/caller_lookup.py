"""The pop's caller lookup over the store: matches with a short summary, and call-scoped grants.

Per ring, whatever the number of matches, on one hot connection (:mod:`store.hot`): who has the
number, with each customer's summary; a grant of each match to the ringing agent for the call;
and the first match linked to the call's record. On PostgreSQL that is one statement (the grant
and the link are data-modifying CTEs of the lookup: one round trip); elsewhere three, the same
SQL pieces run one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    union,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.dml import Insert

from domain.events import utcnow
from store.db import Database
from store.hot import HotConnection, HotStatement
from store.models import (
    CallAccessGrant,
    Contact,
    Customer,
    CustomerPhone,
    Interaction,
    Loan,
    PromiseStatus,
    PromiseToPay,
    Relation,
)
from store.repositories.call_log import CallLog, link_params, link_statement

MAX_MATCHES = 20


@dataclass(frozen=True, slots=True)
class PopMatch:
    customer_id: int
    name: str
    relation: str  # customer, guarantor, alternative_contact, relationship_officer
    summary: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "name": self.name, "relation": self.relation,
                "summary": self.summary}


def _pop_query(*, ranked: bool = False) -> Select[Any]:
    """Who has ``:e164`` (its owners first, then the customers of contacts with it, not removed
    ones: one UNION ALL), each with a summary: active loans aggregated, the first open promise and the last
    interaction (ranked per customer), all restricted to those customers. One statement.
    ``ranked`` adds the order's ``rank`` column (for the one-statement form)."""
    relation_type = Contact.__table__.c.relation.type
    e164 = bindparam("e164", type_=String())
    owners = (select(Customer.id, Customer.name, literal("CUSTOMER", relation_type).label("relation"),
                     Customer.timezone, literal(0).label("rank"))
              .join(CustomerPhone, CustomerPhone.customer_id == Customer.id).where(CustomerPhone.e164 == e164))
    related = (select(Customer.id, Customer.name, Contact.relation, Customer.timezone, literal(1))
               .join(Customer, Contact.customer_id == Customer.id)
               .where(Contact.phone_e164 == e164, Contact.removed_at.is_(None)))
    matched = union_all(owners, related).subquery()
    ids = union(select(CustomerPhone.customer_id).where(CustomerPhone.e164 == e164),
                select(Contact.customer_id).where(Contact.phone_e164 == e164, Contact.removed_at.is_(None)))
    loans = (select(Loan.customer_id, func.sum(Loan.overdue_amount).label("overdue"),
                    func.max(Loan.days_past_due).label("dpd"))
             .where(Loan.customer_id.in_(ids), Loan.status == "active").group_by(Loan.customer_id).subquery())
    promise = (select(PromiseToPay.customer_id, PromiseToPay.id, PromiseToPay.amount, PromiseToPay.due_date,
                      func.row_number().over(partition_by=PromiseToPay.customer_id,
                                             order_by=(PromiseToPay.due_date, PromiseToPay.id)).label("rn"))
               .where(PromiseToPay.customer_id.in_(ids), PromiseToPay.status == PromiseStatus.PENDING).subquery())
    last = (select(Interaction.customer_id, Interaction.created_at, Interaction.channel,
                   Interaction.disposition_status, Interaction.disposition_reason,
                   Interaction.disposition_resolution, Interaction.comments, Interaction.subject,
                   func.row_number().over(partition_by=Interaction.customer_id,
                                          order_by=(Interaction.created_at.desc(), Interaction.id.desc()))
                   .label("rn"))
            .where(Interaction.customer_id.in_(ids)).subquery())
    rank = (matched.c.rank,) if ranked else ()
    return (
        select(matched.c.id, matched.c.name, matched.c.relation, loans.c.overdue, loans.c.dpd, promise.c.id,
               promise.c.amount, promise.c.due_date, last.c.created_at, last.c.channel, last.c.disposition_status,
               last.c.disposition_reason, last.c.disposition_resolution, last.c.comments, last.c.subject,
               matched.c.timezone, *rank)
        .select_from(matched)
        .outerjoin(loans, loans.c.customer_id == matched.c.id)
        .outerjoin(promise, and_(promise.c.customer_id == matched.c.id, promise.c.rn == 1))
        .outerjoin(last, and_(last.c.customer_id == matched.c.id, last.c.rn == 1))
        .order_by(matched.c.rank, matched.c.id)
        .limit(bindparam("limit", type_=Integer()))
    )


def _grant(customer_id: Any, *where: Any) -> Insert:
    """A grant for each ``customer_id`` that ``:agent_id`` does not hold yet for ``:call_id``
    (INSERT ... SELECT ... WHERE NOT EXISTS: a replayed pop adds nothing)."""
    g = CallAccessGrant
    held = select(g.id).where(g.agent_id == bindparam("agent_id"), g.call_id == bindparam("call_id"),
                              g.customer_id == customer_id)
    source = select(
        cast(bindparam("agent_id"), Integer()), customer_id, cast(bindparam("call_id"), g.call_id.type),
        bindparam("until", type_=g.until.type), bindparam("now", type_=g.granted_at.type),
    ).where(*where, ~exists(held))
    return insert(g).from_select(["agent_id", "customer_id", "call_id", "until", "granted_at"], source)


def _open_for_call() -> Select[Any]:
    """PostgreSQL: the lookup, the grants of its matches and the link of its first match in one
    statement. The matches are a CTE; the grant and the link are data-modifying CTEs over it (they
    run once whether or not the final SELECT reads them), and the SELECT returns the matches."""
    matched = _pop_query(ranked=True).cte("matched")
    ids = select(matched.c.id).distinct().subquery("match_ids")
    granted = _grant(ids.c.id).returning(CallAccessGrant.id).cte("granted")
    first = select(matched.c.id).order_by(matched.c.rank, matched.c.id).limit(1).scalar_subquery()
    linked = (link_statement(postgresql.insert, customer=first, when=exists(select(matched.c.id)))
              .returning(literal(1)).cte("linked"))
    return (select(*(c for c in matched.c if c.key != "rank"))
            .order_by(matched.c.rank, matched.c.id).add_cte(granted, linked))


POP_QUERY = HotStatement(_pop_query())  # built once: a ring then costs the execution, not the construction
OPEN_FOR_CALL = HotStatement(_open_for_call())
GRANT = HotStatement(_grant(Customer.id, Customer.id.in_(bindparam("ids", expanding=True))))  # not PostgreSQL


def to_matches(rows: Sequence[Sequence[Any]]) -> list[PopMatch]:
    """Rows of the pop query as matches: each (customer, relation) once, with their summaries:
    overdue amount, days past due, the open promise and the last interaction."""
    out: dict[tuple[int, str], PopMatch] = {}
    for (cid, name, relation, overdue, dpd, p_id, p_amount, p_due, at, channel, status, reason, resolution,
         comments, subject, timezone) in rows:
        key = (cid, Relation(relation).value)
        if key in out:
            continue
        out[key] = PopMatch(customer_id=cid, name=name, relation=key[1], summary={
            "overdue_amount": str(Decimal(overdue or 0).quantize(Decimal("0.01"))),
            "days_past_due": int(dpd or 0),
            "timezone": timezone,  # the customer's zone: the desk shows their local time (issue 15 item 9)
            "open_promise": None if p_id is None else {
                "id": p_id, "amount": str(p_amount), "due_date": p_due.isoformat(),
            },
            "last_interaction": None if at is None else {
                "at": at.isoformat(), "channel": channel,
                "disposition": "/".join(x for x in (status, reason, resolution) if x),
                "comments": (comments or subject or "")[:140],
            },
        })
    return list(out.values())


async def find_matches(connection: HotConnection, e164: str, limit: int = MAX_MATCHES) -> list[PopMatch]:
    """The customers ``e164`` belongs to (owners first, then through a contact), with summaries."""
    return to_matches(await connection.fetch(POP_QUERY, {"e164": e164, "limit": limit}))


class StoreCallerLookup:
    """Per ring: the matches and their summaries, the grants, and the first match linked to the
    call's record (the call log fills in the rest of the record). Each statement commits on its
    own (no BEGIN/COMMIT round trips): the writes are idempotent, and a pop that fails part-way is
    retried whole by the bus. Grants are like ``store.repositories.access.grant_call_access``; an
    existing grant of the call is kept as it is (the pop grants once per agent and call)."""

    def __init__(self, database: Database, *, region: str, default_timezone: str) -> None:
        self._db, self._region, self._tz = database, region, default_timezone
        self._call_log = CallLog(database, region)

    async def matches_for_call(self, e164: str, *, agent_id: int, call_id: str, rang_at: datetime,
                               until: datetime, carrier: str = "asterisk", server: str = "default") -> list[PopMatch]:
        grant = {"agent_id": agent_id, "call_id": call_id, "until": until, "now": utcnow()}
        async with self._db.hot() as connection:
            if connection.dialect == "postgresql":
                link = link_params(call_id, rang_at, carrier, server)
                rows = await connection.fetch(OPEN_FOR_CALL, {**link, **grant, "e164": e164, "limit": MAX_MATCHES})
                return to_matches(rows)
            found = await find_matches(connection, e164)
            if found:
                ids = [m.customer_id for m in found]
                await connection.fetch(GRANT, {**grant, "ids": list(dict.fromkeys(ids))})
                await self._call_log.link_customer_on(connection, call_id, ids[0], rang_at, carrier=carrier,
                                                      server=server)
        return found
