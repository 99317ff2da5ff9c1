"""M-Pesa payment requests (STK push): their states, the moves between them, and Daraja's result
codes said in words for the agent.

    sent ──> waiting_pin ──> paid      (the callback or the query API said 0; the receipt is known)
      │           │    └───> failed    (cancelled, no answer from the phone, wrong PIN, no funds ...)
      │           └────────> unknown   (no answer from M-Pesa in time; a late answer still settles it)
      ├────> failed                    (M-Pesa refused the push, or could not be reached: nothing sent)
      └────> unknown                   (the push was sent but its answer was lost: never sent again)
    unknown ──> paid | failed

``sent`` and ``waiting_pin`` are *pending*: a customer has at most one pending request.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


class RequestState(enum.StrEnum):
    SENT = "sent"  # stored, the push is on its way to Daraja
    WAITING_PIN = "waiting_pin"  # Daraja accepted it: the customer's phone asks for the PIN
    PAID = "paid"
    FAILED = "failed"
    UNKNOWN = "unknown"


PENDING = frozenset({RequestState.SENT, RequestState.WAITING_PIN})
SETTLED = frozenset({RequestState.PAID, RequestState.FAILED})

_MOVES: dict[RequestState, frozenset[RequestState]] = {
    RequestState.SENT: frozenset({RequestState.WAITING_PIN, RequestState.FAILED, RequestState.UNKNOWN,
                                  RequestState.PAID}),
    RequestState.WAITING_PIN: frozenset({RequestState.PAID, RequestState.FAILED, RequestState.UNKNOWN}),
    RequestState.UNKNOWN: frozenset({RequestState.PAID, RequestState.FAILED}),
    RequestState.PAID: frozenset(),
    RequestState.FAILED: frozenset(),
}


def can_move(current: RequestState, target: RequestState) -> bool:
    """Whether a request in ``current`` may move to ``target`` (a settled request never moves)."""
    return target in _MOVES[current]


# Daraja's STK result codes (callback ``ResultCode`` and query ``ResultCode``), as the agent reads them.
PAID_CODE = 0
RESULT_WORDS: dict[int, str] = {
    1: "The customer's M-Pesa balance is not enough for this payment.",
    1001: "The customer has another M-Pesa transaction in progress; try again in a minute.",
    1019: "The request expired before the customer answered it.",
    1025: "M-Pesa could not show the request on the customer's phone.",
    1032: "The customer cancelled the request on the phone.",
    1037: "The customer's phone did not answer: it may be off, out of coverage or the SIM is not updated.",
    2001: "The customer entered a wrong M-Pesa PIN.",
    9999: "M-Pesa could not show the request on the customer's phone.",
}

STATE_WORDS: dict[RequestState, str] = {
    RequestState.SENT: "Sending the payment request to M-Pesa…",
    RequestState.WAITING_PIN: "Sent: the customer's phone is asking for the M-Pesa PIN.",
    RequestState.PAID: "Paid.",
    RequestState.FAILED: "Not paid.",
    RequestState.UNKNOWN: "M-Pesa has not said whether the customer paid. Check the statement before asking again.",
}


def result_words(code: int, description: str | None = None) -> str:
    """The sentence for a failed result: a known code in our words, else M-Pesa's own description."""
    known = RESULT_WORDS.get(code)
    if known is not None:
        return known
    said = (description or "").strip().rstrip(".")
    return f"M-Pesa did not complete the payment: {said}." if said else "M-Pesa did not complete the payment."


@dataclass(frozen=True, slots=True)
class PromiseShare:
    """What a payment did to one pending promise: its paid amount now, and whether it is kept."""

    promise_id: int
    paid_amount: Decimal
    kept: bool


def allocate(amount: Decimal, promises: Iterable[tuple[int, Decimal, Decimal]]) -> list[PromiseShare]:
    """A payment of ``amount`` applied to pending promises ``(id, amount, paid_amount)``, in the
    order given (oldest due first), as the statement applies every payment."""
    remaining, shares = amount, []
    for promise_id, promised, paid in promises:
        if remaining <= 0:
            break
        take = min(promised - paid, remaining)
        if take <= 0:
            continue
        remaining -= take
        shares.append(PromiseShare(promise_id, paid + take, paid + take >= promised))
    return shares
