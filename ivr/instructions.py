"""What goes into the IVR engine and what comes out of it: frozen data, no I/O.

Inputs are the caller's digits, no input (a timeout) or a hang-up, and the answers to the engine's
own requests for data (who has this caller ID, is this ID right, save this promise). Each call of
:meth:`ivr.engine.IvrEngine.feed` returns one :class:`Step`: what to say, then what to do next:
collect digits, ask the data port, send the caller to a queue, or hang up. The carriers' renderers
(``ivr.agi.player`` for FastAGI, ``ivr.twiml`` for TwiML) turn steps into their own commands.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

# --- speech ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlayPrompt:
    """A piece of a prompt: ``name`` is its sound file's stem (``greeting``, ``balance__2``)."""

    name: str
    text: str
    language: str


@dataclass(frozen=True, slots=True)
class SayNumber:
    value: int
    language: str


@dataclass(frozen=True, slots=True)
class SayAmount:
    amount: Decimal
    currency: str  # ISO code
    unit: str  # the currency's name in ``language`` ("shillings")
    language: str


@dataclass(frozen=True, slots=True)
class SayDate:
    value: date
    language: str


@dataclass(frozen=True, slots=True)
class SayTime:
    value: time  # the customer's local wall-clock time
    language: str


@dataclass(frozen=True, slots=True)
class SayDigits:
    digits: str
    language: str


Speech = PlayPrompt | SayNumber | SayAmount | SayDate | SayTime | SayDigits

# --- what happens next ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Collect:
    """Say ``speech`` (a digit interrupts it), then wait for digits: the first within
    ``first_timeout`` seconds, each next one within ``inter_timeout``; ``finish_on`` ends early
    and is not part of the digits; ``max_digits`` digits end it too."""

    node: str
    speech: tuple[Speech, ...]
    min_digits: int
    max_digits: int
    finish_on: str | None
    first_timeout: float
    inter_timeout: float
    secret: bool = False


@dataclass(frozen=True, slots=True)
class Route:
    """Send the caller to agents in ``queue``; ``note`` says why if it was not their choice."""

    queue: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Hangup:
    pass


# --- requests to the data port (the engine waits for the answer) ------------------------------------


@dataclass(frozen=True, slots=True)
class FindCaller:
    number: str


@dataclass(frozen=True, slots=True)
class FindAccount:
    digits: str


@dataclass(frozen=True, slots=True)
class Verify:
    customer_id: int
    digits: str = field(repr=False)  # never logged


@dataclass(frozen=True, slots=True)
class LoadAccount:
    customer_id: int


@dataclass(frozen=True, slots=True)
class SavePromise:
    customer_id: int
    amount: Decimal
    due: date


@dataclass(frozen=True, slots=True)
class BookCallback:
    customer_id: int


@dataclass(frozen=True, slots=True)
class NoteBalance:
    """The caller heard their balance: the customer's history records it."""

    customer_id: int


Request = FindCaller | FindAccount | Verify | LoadAccount | SavePromise | BookCallback | NoteBalance
Next = Collect | Request | Route | Hangup


@dataclass(frozen=True, slots=True)
class Step:
    say: tuple[Speech, ...]
    then: Next

    @property
    def finished(self) -> bool:
        return isinstance(self.then, Route | Hangup)


# --- inputs -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Digits:
    """The digits entered (the finish key not included; may be empty if only it was pressed)."""

    value: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class NoInput:
    pass


@dataclass(frozen=True, slots=True)
class HungUp:
    pass


@dataclass(frozen=True, slots=True)
class CallerMatches:
    customer_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class AccountMatch:
    customer_id: int | None


@dataclass(frozen=True, slots=True)
class Verified:
    ok: bool


@dataclass(frozen=True, slots=True)
class AccountView:
    """What the menu may say about a verified customer, and the day it is for them."""

    customer_id: int
    currency: str
    balance: Decimal
    next_instalment: Decimal | None
    next_due: date | None
    today: date  # in the customer's time zone
    horizon_days: int  # how far ahead a promise may be (the compliance pack's horizon)


@dataclass(frozen=True, slots=True)
class PromiseSaved:
    promise_id: int | None  # None: it could not be saved


@dataclass(frozen=True, slots=True)
class CallbackBooked:
    at: datetime | None  # the customer's local time of the callback; None: the gate never allows one


@dataclass(frozen=True, slots=True)
class Noted:
    pass


Answer = CallerMatches | AccountMatch | Verified | AccountView | PromiseSaved | CallbackBooked | Noted
Input = Digits | NoInput | HungUp | Answer


# --- what a session leaves behind ---------------------------------------------------------------------


class Outcome(enum.StrEnum):
    SELF_SERVED = "self_served"
    PROMISE = "promise"
    CALLBACK = "callback"
    AGENT = "agent"
    HUNG_UP = "hung_up"


SELF_SERVICE = frozenset({Outcome.SELF_SERVED, Outcome.PROMISE, Outcome.CALLBACK})


@dataclass(frozen=True, slots=True)
class PathEntry:
    node: str
    input: str | None = None  # the digits ("****" when secret), "timeout", or None

    def label(self) -> str:
        return self.node if self.input is None else f"{self.node}:{self.input}"
