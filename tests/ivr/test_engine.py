"""The IVR engine on the default menu, without sockets: every branch the issue names."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from config.lists.ivr_menu import IvrMenu
from domain.errors import ProtocolViolation
from ivr.engine import IvrEngine
from ivr.instructions import (
    Collect,
    Digits,
    Hangup,
    HungUp,
    NoInput,
    NoteBalance,
    Noted,
    Outcome,
    Route,
    SavePromise,
    SayAmount,
    Speech,
    Step,
    Verify,
)
from ivr.state import EngineState
from tests.ivr.support import Oracle, default_menu, menu_with, resolve, said

AMINA = "+254712345678"


class Call:
    """One caller: what they press, what they hear since their last key."""

    def __init__(self, menu: IvrMenu | None = None, caller: str = AMINA, oracle: Oracle | None = None) -> None:
        self.engine = IvrEngine(menu or default_menu(), caller)
        self.oracle = oracle or Oracle()
        self.step: Step | None = None
        self.heard: list[Speech] = []

    def _go(self, step: Step) -> str:
        self.heard = []
        self.step = resolve(self.engine, step, self.oracle, self.heard)
        return said(self.heard)

    def start(self) -> str:
        return self._go(self.engine.start())

    def press(self, digits: str) -> str:
        return self._go(self.engine.feed(Digits(digits)))

    def silence(self) -> str:
        return self._go(self.engine.feed(NoInput()))

    def hang_up(self) -> None:
        self._go(self.engine.feed(HungUp()))

    @property
    def waiting_at(self) -> str | None:
        assert self.step is not None
        return self.step.then.node if isinstance(self.step.then, Collect) else None

    @property
    def end(self) -> object:
        assert self.step is not None
        return self.step.then

    def verified(self, language: str = "1") -> Call:
        """Start, choose a language, pass verification: at the main menu."""
        self.start()
        self.press(language)
        assert self.waiting_at == "verify"
        self.press("4321")
        assert self.waiting_at == "main"
        return self


def test_greeting_in_both_languages_then_the_choice() -> None:
    call = Call()
    text = call.start()
    assert text.startswith("Welcome to Jua Power. Karibu Jua Power.")
    assert "For English, press 1. Kwa Kiswahili, bonyeza 2." in text
    assert call.waiting_at == "language"


def test_one_language_enabled_skips_the_choice() -> None:
    def only_english(d: dict) -> None:
        d["languages"][1]["enabled"] = False

    call = Call(menu_with(only_english))
    text = call.start()
    assert "Kiswahili" not in text and "Karibu" not in text
    assert call.waiting_at == "verify"  # the caller ID identified Amina; verification comes first


def test_caller_id_identifies_but_never_verifies() -> None:
    call = Call()
    call.start()
    text = call.press("1")
    assert call.waiting_at == "verify" and "last four digits of your ID number" in text
    assert call.engine.state.customer_id == 7 and call.engine.state.verified is None
    assert call.engine.state.identified_by == "caller_id"


def test_unknown_caller_enters_the_account_number() -> None:
    call = Call(caller="+254700000001")
    call.start()
    assert "enter your account number, then press the hash key" in call.press("1")
    assert call.waiting_at == "account"
    call.press("100001")
    assert call.waiting_at == "verify" and call.engine.state.identified_by == "account"
    call.press("4321")
    assert call.waiting_at == "main" and call.engine.state.verified is True


def test_caller_id_shared_by_two_customers_is_not_enough() -> None:
    call = Call(oracle=Oracle(callers={AMINA: (7, 8)}))
    call.start()
    call.press("1")
    assert call.waiting_at == "account" and call.engine.state.customer_id is None


def test_three_unknown_account_numbers_go_to_agents_saying_so() -> None:
    call = Call(caller="")
    call.start()
    call.press("1")
    assert "could not find that account" in call.press("555555")
    call.press("666666")
    text = call.press("777777")
    assert "could not find that account number" in text and "connect you to an agent" in text
    assert call.end == Route("collections", "not_identified")
    record = call.engine.record()
    assert record.outcome is Outcome.AGENT and record.customer_id is None and record.note == "not_identified"


def test_failed_verification_three_times_goes_to_agents_and_is_kept() -> None:
    call = Call()
    call.start()
    call.press("1")
    for attempt in range(3):
        text = call.press(f"000{attempt}")
        assert "do not match our records" in text
    assert call.end == Route("collections", "verification_failed")
    record = call.engine.record()
    assert record.verified is False and record.customer_id == 7
    assert [p.label() for p in record.path if p.node == "verify" and p.input] == ["verify:****!mismatch"] * 3
    assert not any(isinstance(s, SayAmount) for s in call.heard)


def test_verification_digits_are_never_kept() -> None:
    call = Call()
    call.start()
    call.press("1")
    requests_before = len(call.oracle.requests)
    call.press("4321")
    verify = next(r for r in call.oracle.requests[requests_before:] if isinstance(r, Verify))
    assert "4321" not in repr(verify)
    state = json.dumps(call.engine.state.to_json())
    assert "4321" not in state and "****" in state
    assert "4321" not in repr(call.engine.record())


def test_balance_then_back_to_the_main_menu() -> None:
    call = Call().verified()
    text = call.press("1")
    assert text.startswith("Your outstanding balance is 12,000 shillings. Your next instalment of 2,500 "
                           "shillings is due on Friday, 18 December.")
    assert "For your balance, press 1." in text and call.waiting_at == "main"
    assert NoteBalance(7) in call.oracle.requests  # the history records the enquiry
    call.hang_up()
    record = call.engine.record()
    assert record.outcome is Outcome.SELF_SERVED and record.balance_heard and record.abandoned


def test_balance_in_kiswahili_uses_our_words() -> None:
    call = Call().verified(language="2")
    text = call.press("1")
    assert text.startswith("Salio lako ni shilingi elfu kumi na mbili. Awamu yako ijayo ya shilingi elfu mbili "
                           "mia tano inapaswa kulipwa tarehe kumi na nane Desemba.")


@pytest.mark.parametrize(("balance", "instalment", "expected"), [
    (Decimal("0"), None, "You have no outstanding balance."),
    (Decimal("800"), None, "Your outstanding balance is 800 shillings."),
])
def test_balance_without_an_instalment(balance: Decimal, instalment: Decimal | None, expected: str) -> None:
    call = Call(oracle=Oracle(balance=balance, next_instalment=instalment, next_due=None)).verified()
    text = call.press("1")
    assert text.startswith(expected) and "instalment" not in text


def test_promise_happy_path() -> None:
    call = Call().verified()
    assert "enter the amount" in call.press("2")
    assert "day and month, four digits" in call.press("5000")
    text = call.press("1812")
    assert "You promise to pay 5,000 shillings on Friday, 18 December. To confirm, press 1." in text
    assert not any(isinstance(r, SavePromise) for r in call.oracle.requests)  # nothing before the "1"
    text = call.press("1")
    assert "Your promise to pay 5,000 shillings on Friday, 18 December is recorded." in text
    assert SavePromise(7, Decimal(5000), date(2026, 12, 18)) in call.oracle.requests
    assert call.waiting_at == "main"
    call.hang_up()
    assert call.engine.record().outcome is Outcome.PROMISE and call.engine.record().promise_id == 101


def test_promise_change_goes_back_to_the_amount() -> None:
    call = Call().verified()
    call.press("2")
    call.press("5000")
    call.press("1812")
    assert "enter the amount" in call.press("2")
    call.press("3000")
    assert "3,000 shillings" in call.press("2012")
    call.press("1")
    assert [r for r in call.oracle.requests if isinstance(r, SavePromise)] == [
        SavePromise(7, Decimal(3000), date(2026, 12, 20))]


@pytest.mark.parametrize(("amount", "reason"), [("0", "more than zero"), ("12001", "more than your outstanding")])
def test_bad_amounts_are_refused_with_a_reason(amount: str, reason: str) -> None:
    call = Call().verified()
    call.press("2")
    text = call.press(amount)
    assert reason in text and call.waiting_at == "promise_amount"
    assert "enter the amount you will pay" in text


@pytest.mark.parametrize(("ddmm", "reason"), [
    ("3102", "not a valid date"), ("0013", "not a valid date"), ("0112", "already passed"),
    ("0702", "too far away"), ("1001", "too far away")])
def test_bad_dates_are_refused_with_a_reason(ddmm: str, reason: str) -> None:
    call = Call().verified()
    call.press("2")
    call.press("1000")
    text = call.press(ddmm)
    assert reason in text and call.waiting_at == "promise_date"


def test_a_promise_that_cannot_be_saved_goes_to_agents() -> None:
    call = Call(oracle=Oracle(save_ok=False)).verified()
    call.press("2")
    call.press("1000")
    call.press("2012")
    text = call.press("1")
    assert "could not record your promise" in text and call.end == Route("collections", None)
    assert call.engine.record().promise_id is None


def test_callback() -> None:
    call = Call().verified()
    text = call.press("3")
    assert "We will call you back on Monday, 7 December at 10:30 AM." in text and call.waiting_at == "main"
    call.hang_up()
    assert call.engine.record().outcome is Outcome.CALLBACK


def test_callback_the_gate_never_allows() -> None:
    call = Call(oracle=Oracle(callback_at=None)).verified()
    assert "cannot call you back on this number" in call.press("3")
    call.hang_up()
    assert call.engine.record().outcome is Outcome.HUNG_UP


def test_zero_is_an_agent_and_star_repeats() -> None:
    call = Call().verified()
    text = call.press("*")
    assert text.startswith("For your balance, press 1.") and call.engine.state.invalid == 0
    text = call.press("0")
    assert "connect you to an agent" in text and call.end == Route("collections", None)
    assert call.engine.record().outcome is Outcome.AGENT and call.engine.record().verified is True


def test_three_invalid_choices_go_to_agents() -> None:
    call = Call().verified()
    assert "not a valid choice" in call.press("7")
    call.press("9")
    text = call.press("#")
    assert "not a valid choice" in text and isinstance(call.end, Route)


def test_three_timeouts_go_to_agents_and_each_replays_the_prompt() -> None:
    call = Call().verified()
    text = call.silence()
    assert text.startswith("Sorry, we did not hear your choice. For your balance, press 1.")
    call.silence()
    text = call.silence()
    assert "connect you to an agent" in text and isinstance(call.end, Route)
    assert [p.input for p in call.engine.record().path if p.node == "main" and p.input] == ["timeout"] * 3


def test_invalid_and_no_input_are_counted_apart() -> None:
    call = Call().verified()
    for act in ("7", None, "8", None):
        call.press(act) if act else call.silence()
    assert call.waiting_at == "main"
    assert (call.engine.state.invalid, call.engine.state.no_input) == (2, 2)


def test_hanging_up_in_the_amount_leaves_no_promise() -> None:
    call = Call().verified()
    call.press("2")
    call.hang_up()
    record = call.engine.record()
    assert record.abandoned and record.end_node == "promise_amount" and record.outcome is Outcome.HUNG_UP
    assert not any(isinstance(r, SavePromise) for r in call.oracle.requests)
    assert isinstance(call.end, Hangup)


def test_state_survives_json_between_two_requests() -> None:
    first = Call().verified()
    first.press("2")
    first.press("5000")
    saved = json.loads(json.dumps(first.engine.state.to_json()))
    second = Call()
    second.engine = IvrEngine(default_menu(), state=EngineState.from_json(saved))
    text = second.press("1812")
    assert "5,000 shillings on Friday, 18 December" in text


def test_back_returns_to_the_previous_menu() -> None:
    def with_submenu(d: dict) -> None:
        d["nodes"]["main"]["options"]["9"] = "more"
        d["nodes"]["more"] = {"kind": "menu", "prompt": "main_menu", "back": "#", "options": {"1": "agent"}}

    call = Call(menu_with(with_submenu)).verified()
    call.press("9")
    assert call.waiting_at == "more"
    call.press("#")
    assert call.waiting_at == "main"


def test_the_engine_bounds_a_session() -> None:
    call = Call()
    call.engine.max_inputs = 5
    call.verified()  # 2 inputs
    call.press("*")
    call.press("*")
    call.press("*")
    assert call.waiting_at == "main"
    call.press("*")
    assert call.end == Route("collections", None)


def test_misuse_is_a_protocol_violation() -> None:
    call = Call()
    with pytest.raises(ProtocolViolation):
        call.engine.feed(Digits("1"))
    call.start()
    with pytest.raises(ProtocolViolation):
        call.engine.feed(Noted())
    call.press("1")
    call.press("0")
    call.press("0")
    call.press("0")
    assert call.engine.finished
    with pytest.raises(ProtocolViolation):
        call.engine.feed(Digits("1"))
