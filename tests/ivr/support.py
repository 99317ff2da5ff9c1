"""Helpers of the IVR engine tests: the default menu, a variant of it, and an answering data port."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from config.lists import load_lists
from config.lists.ivr_menu import IvrMenu
from config.settings import CONFIG_DIR
from ivr.engine import IvrEngine
from ivr.instructions import (
    AccountMatch,
    AccountView,
    Answer,
    BookCallback,
    CallbackBooked,
    CallerMatches,
    Collect,
    FindAccount,
    FindCaller,
    LoadAccount,
    NoteBalance,
    Noted,
    PromiseSaved,
    Request,
    SavePromise,
    Speech,
    Step,
    Verified,
    Verify,
)
from ivr.speech import sentence

TODAY = date(2026, 12, 7)  # a Monday


def default_menu() -> IvrMenu:
    return load_lists(CONFIG_DIR / "defaults").ivr


def menu_data() -> dict[str, Any]:
    return copy.deepcopy(default_menu().model_dump(mode="json"))


def menu_with(change: Callable[[dict[str, Any]], None]) -> IvrMenu:
    data = menu_data()
    change(data)
    return IvrMenu.model_validate(data)


@dataclass
class Oracle:
    """A customer base of one: Amina (id 7), caller ID +254712345678, account 100001, ID ending 4321."""

    callers: dict[str, tuple[int, ...]] = field(default_factory=lambda: {"+254712345678": (7,)})
    accounts: dict[str, int] = field(default_factory=lambda: {"100001": 7})
    id_last4: dict[int, str] = field(default_factory=lambda: {7: "4321"})
    balance: Decimal = Decimal("12000")
    next_instalment: Decimal | None = Decimal("2500")
    next_due: date | None = date(2026, 12, 18)
    callback_at: datetime | None = datetime(2026, 12, 7, 10, 30)
    save_ok: bool = True
    requests: list[Request] = field(default_factory=list)

    def answer(self, request: Request) -> Answer:
        self.requests.append(request)
        match request:
            case FindCaller(number=number):
                return CallerMatches(self.callers.get(number, ()))
            case FindAccount(digits=digits):
                return AccountMatch(self.accounts.get(digits))
            case Verify(customer_id=cid, digits=digits):
                return Verified(self.id_last4.get(cid) == digits)
            case LoadAccount(customer_id=cid):
                return AccountView(cid, "KES", self.balance, self.next_instalment, self.next_due, TODAY, 30)
            case SavePromise():
                return PromiseSaved(101 if self.save_ok else None)
            case BookCallback():
                return CallbackBooked(self.callback_at)
            case NoteBalance():
                return Noted()
        raise AssertionError(request)


def resolve(engine: IvrEngine, step: Step, oracle: Oracle, heard: list[Speech]) -> Step:
    """Answer the engine's requests until it collects digits or ends; collect what it says."""
    heard.extend(step.say)
    while not isinstance(step.then, Collect) and not step.finished:
        step = engine.feed(oracle.answer(step.then))  # type: ignore[arg-type]
        heard.extend(step.say)
    if isinstance(step.then, Collect):
        heard.extend(step.then.speech)
    return step


def said(speech: list[Speech]) -> str:
    return sentence(speech)
