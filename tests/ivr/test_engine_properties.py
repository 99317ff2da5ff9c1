"""Hypothesis drives the engine with random digits, silences, hang-ups and data answers: it never
crashes, never speaks account data before a verification passed, never keeps the digits of a
verification, and every session ends in a route or a hang-up within a bounded number of steps.

The choices come from a hypothesis-controlled ``Random``: most of the time what a caller would
plausibly press at the node, otherwise any keys at all, silence or a hang-up; the data answers are
random too (several customers on one number, wrong IDs, promises that fail to save ...)."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from config.lists.ivr_menu import IvrMenu
from ivr.engine import IvrEngine
from ivr.instructions import (
    AccountMatch,
    AccountView,
    Answer,
    BookCallback,
    CallbackBooked,
    CallerMatches,
    Collect,
    Digits,
    FindAccount,
    FindCaller,
    Hangup,
    HungUp,
    Input,
    LoadAccount,
    NoInput,
    NoteBalance,
    Noted,
    PromiseSaved,
    Request,
    Route,
    SavePromise,
    SayAmount,
    Step,
    Verified,
    Verify,
)
from tests.ivr.support import default_menu, menu_with

KEYS = "0123456789*#"
MAX_INPUTS = 40
PLAUSIBLE = {"language": ["1", "2"], "account": ["100001", "555555"], "verify": ["4321", "9137"],
             "main": ["1", "2", "2", "2", "3", "*", "0"], "promise_amount": ["5000", "5000", "0", "99999999"],
             "promise_date": ["1812", "0112", "3102", "2012", "2012"], "promise_confirm": ["1", "1", "2"]}


def one_language(d: dict) -> None:
    d["languages"][1]["enabled"] = False
    d["defaults"]["max_invalid"] = 1
    d["defaults"]["max_no_input"] = 2


MENUS: list[IvrMenu] = [default_menu(), menu_with(one_language)]


def caller_action(rnd: random.Random, node: str) -> Input:
    roll = rnd.random()
    if roll < 0.78:
        return Digits(rnd.choice(PLAUSIBLE.get(node, ["1"])))
    if roll < 0.90:
        return Digits("".join(rnd.choice(KEYS) for _ in range(rnd.randint(0, 14))))
    if roll < 0.98:
        return NoInput()
    return HungUp()


def answer(rnd: random.Random, request: Request) -> Answer:
    match request:
        case FindCaller():
            return CallerMatches(rnd.choice([(7,), (7,), (), (3, 4)]))
        case FindAccount():
            return AccountMatch(rnd.choice([7, 7, None]))
        case Verify():
            return Verified(rnd.random() < 0.8)
        case LoadAccount(customer_id=cid):
            today = rnd.choice([date(2026, 12, 7), date(2026, 12, 7), date(2026, 1, 1) + timedelta(days=rnd.randint(0, 700))])
            due = rnd.choice([None, today + timedelta(days=rnd.randint(-5, 40))])
            balance = rnd.choice([Decimal(0), Decimal("12000"), Decimal(rnd.randint(0, 10**9)) / 100])
            return AccountView(cid, rnd.choice(["KES", "UGX", "USD"]), balance,
                               None if due is None else Decimal(rnd.randint(1, 10**6)), due, today,
                               rnd.choice([30, rnd.randint(0, 90)]))
        case SavePromise():
            return PromiseSaved(None if rnd.random() < 0.2 else rnd.randint(1, 10**6))
        case BookCallback():
            return CallbackBooked(rnd.choice([None, datetime(2026, 12, 7) + timedelta(minutes=rnd.randint(0, 10**5))]))
        case NoteBalance():
            return Noted()
    raise AssertionError(request)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rnd=st.randoms(use_true_random=False), menu_index=st.sampled_from([0, 1]),
       caller=st.sampled_from(["", "+254712345678"]))
def test_random_callers_always_end_well(rnd: random.Random, menu_index: int, caller: str) -> None:
    menu = MENUS[menu_index]
    engine = IvrEngine(menu, caller, max_inputs=MAX_INPUTS)
    step: Step = engine.start()
    caller_inputs = 0
    for _ in range(MAX_INPUTS * 4 + 20):  # inputs and the requests each may cause
        assert engine.state.verified is True or not any(isinstance(s, SayAmount) for s in step.say)
        then = step.then
        if isinstance(then, Route | Hangup):
            break
        if isinstance(then, Collect):
            assert engine.state.verified is True or not any(isinstance(s, SayAmount) for s in then.speech)
            step = engine.feed(caller_action(rnd, then.node))
            caller_inputs += 1
        else:
            if isinstance(then, SavePromise | BookCallback | NoteBalance):
                assert engine.state.verified is True
            step = engine.feed(answer(rnd, then))
    assert isinstance(step.then, Route | Hangup), f"not ended after {caller_inputs} inputs: {step.then}"
    assert engine.finished and caller_inputs <= MAX_INPUTS + 1
    record = engine.record()
    event(f"outcome: {record.outcome.value}")
    assert record.path and record.end_node in menu.nodes
    json.dumps(engine.state.to_json())  # the state between two TwiML requests is plain JSON
    for entry in record.path:  # what a caller typed at the verification is never kept
        if entry.node == "verify" and entry.input:
            assert not any(ch.isdigit() for ch in entry.input), entry
