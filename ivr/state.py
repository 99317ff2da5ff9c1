"""The state of one IVR session, and its JSON form (the TwiML path keeps it in the store between
two of Twilio's requests). It never holds a secret: verification digits go out in a request and
are forgotten; the path keeps them masked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ivr.instructions import AccountView, Outcome, PathEntry, Route


@dataclass(slots=True)
class SessionRecord:
    """What a finished (or abandoned) session leaves behind."""

    language: str
    customer_id: int | None
    identified_by: str | None
    verified: bool | None
    path: tuple[PathEntry, ...]
    outcome: Outcome
    end_node: str
    abandoned: bool  # the caller hung up before the menu finished
    queue: str | None
    note: str | None
    promise_id: int | None
    callback_at: datetime | None
    balance_heard: bool


@dataclass(slots=True)
class EngineState:
    node: str
    language: str
    caller: str = ""
    customer_id: int | None = None
    identified_by: str | None = None  # "caller_id" or "account"
    verified: bool | None = None  # None: not asked yet
    account: AccountView | None = None
    invalid: int = 0
    no_input: int = 0
    inputs: int = 0
    menus: list[str] = field(default_factory=list)  # menus entered, for "back"
    amount: Decimal | None = None
    due: date | None = None
    path: list[PathEntry] = field(default_factory=list)
    waiting: str = "new"  # new, collect, request, done
    request: str | None = None  # the request kind awaited, e.g. "Verify"
    stage: str | None = None  # what the node awaits the answer for
    balance_heard: bool = False
    promise_id: int | None = None
    callback_at: datetime | None = None
    route: Route | None = None
    hung_up: bool = False
    steps: int = 0

    def to_json(self) -> dict[str, Any]:
        account = self.account
        return {
            "node": self.node, "language": self.language, "caller": self.caller, "customer_id": self.customer_id,
            "identified_by": self.identified_by, "verified": self.verified,
            "account": None if account is None else {
                "customer_id": account.customer_id, "currency": account.currency, "balance": str(account.balance),
                "next_instalment": None if account.next_instalment is None else str(account.next_instalment),
                "next_due": _iso(account.next_due), "today": account.today.isoformat(),
                "horizon_days": account.horizon_days},
            "invalid": self.invalid, "no_input": self.no_input, "inputs": self.inputs, "menus": list(self.menus),
            "amount": None if self.amount is None else str(self.amount), "due": _iso(self.due),
            "path": [[p.node, p.input] for p in self.path], "waiting": self.waiting, "request": self.request,
            "stage": self.stage, "balance_heard": self.balance_heard, "promise_id": self.promise_id,
            "callback_at": _iso(self.callback_at),
            "route": None if self.route is None else [self.route.queue, self.route.note],
            "hung_up": self.hung_up, "steps": self.steps,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EngineState:
        a = data.get("account")
        account = None if a is None else AccountView(
            customer_id=int(a["customer_id"]), currency=a["currency"], balance=Decimal(a["balance"]),
            next_instalment=None if a["next_instalment"] is None else Decimal(a["next_instalment"]),
            next_due=_date(a["next_due"]), today=date.fromisoformat(a["today"]), horizon_days=int(a["horizon_days"]))
        route = data.get("route")
        callback = data.get("callback_at")
        return cls(
            node=data["node"], language=data["language"], caller=data.get("caller", ""),
            customer_id=data.get("customer_id"), identified_by=data.get("identified_by"),
            verified=data.get("verified"), account=account, invalid=int(data.get("invalid", 0)),
            no_input=int(data.get("no_input", 0)), inputs=int(data.get("inputs", 0)),
            menus=list(data.get("menus", [])),
            amount=None if data.get("amount") is None else Decimal(data["amount"]), due=_date(data.get("due")),
            path=[PathEntry(node, value) for node, value in data.get("path", [])],
            waiting=data.get("waiting", "new"), request=data.get("request"), stage=data.get("stage"),
            balance_heard=bool(data.get("balance_heard")), promise_id=data.get("promise_id"),
            callback_at=None if callback is None else datetime.fromisoformat(callback),
            route=None if route is None else Route(route[0], route[1]), hung_up=bool(data.get("hung_up")),
            steps=int(data.get("steps", 0)),
        )

    def record(self) -> SessionRecord:
        if self.route is not None:
            outcome = Outcome.AGENT
        elif self.promise_id is not None:
            outcome = Outcome.PROMISE
        elif self.callback_at is not None:
            outcome = Outcome.CALLBACK
        elif self.balance_heard:
            outcome = Outcome.SELF_SERVED
        else:
            outcome = Outcome.HUNG_UP
        return SessionRecord(
            language=self.language, customer_id=self.customer_id, identified_by=self.identified_by,
            verified=self.verified, path=tuple(self.path), outcome=outcome, end_node=self.node,
            abandoned=self.hung_up, queue=None if self.route is None else self.route.queue,
            note=None if self.route is None else self.route.note, promise_id=self.promise_id,
            callback_at=self.callback_at, balance_heard=self.balance_heard)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
