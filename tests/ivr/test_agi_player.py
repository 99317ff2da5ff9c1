"""The FastAGI renderer without sockets: steps as commands, scripted replies as the caller's input."""

from __future__ import annotations

from collections.abc import Generator
from datetime import date, time
from decimal import Decimal

from ivr.agi.player import AgiSpeaker, collect, run_step
from ivr.agi.protocol import AgiCommand, AgiReply, parse_reply
from ivr.instructions import (
    Collect,
    Digits,
    Hangup,
    HungUp,
    Input,
    NoInput,
    PlayPrompt,
    Route,
    SayAmount,
    SayDate,
    SayTime,
    Step,
)
from tests.ivr.support import default_menu

MENU = default_menu()


def drive(dialog: Generator[AgiCommand, AgiReply, Input | None], replies: dict[str, list[str]]
          ) -> tuple[list[str], Input | None]:
    """Answer each command with the next scripted reply for its name (default: success, no key)."""
    sent: list[str] = []
    try:
        command = next(dialog)
        while True:
            sent.append(command.encode().decode().strip())
            queue = replies.get(command.name, [])
            line = queue.pop(0) if queue else ("200 result=0 endpos=8000" if "FILE" in command.name
                                               else "200 result=0")
            command = dialog.send(parse_reply(line))
    except StopIteration as done:
        return sent, done.value


def menu_collect(**kw: object) -> Collect:
    base = {"node": "main", "speech": (PlayPrompt("main_menu", "For your balance, press 1.", "en"),),
            "min_digits": 1, "max_digits": 1, "finish_on": None, "first_timeout": 6.0, "inter_timeout": 3.0}
    return Collect(**{**base, **kw})  # type: ignore[arg-type]


def test_a_key_during_the_prompt_is_the_choice() -> None:
    sent, got = drive(collect(AgiSpeaker(MENU, "switchboard"), menu_collect()), {"STREAM FILE": ["200 result=49 endpos=900"]})
    assert sent == ["STREAM FILE switchboard/en/main_menu 0123456789*#"] and got == Digits("1")


def test_no_key_waits_with_the_first_digit_timeout_then_no_input() -> None:
    sent, got = drive(collect(AgiSpeaker(MENU, "switchboard"), menu_collect()), {"WAIT FOR DIGIT": ["200 result=0"]})
    assert sent[-1] == "WAIT FOR DIGIT 6000" and got == NoInput()


def test_digits_until_hash_with_the_inter_digit_timeout() -> None:
    c = menu_collect(node="account", min_digits=4, max_digits=12, finish_on="#")
    replies = {"STREAM FILE": ["200 result=49 endpos=10"],
               "WAIT FOR DIGIT": ["200 result=48", "200 result=48", "200 result=55", "200 result=35"]}
    sent, got = drive(collect(AgiSpeaker(MENU, "s"), c), replies)
    assert got == Digits("1007") and sent[1:] == ["WAIT FOR DIGIT 3000"] * 4


def test_max_digits_end_without_hash_and_a_timeout_ends_early() -> None:
    c = menu_collect(node="verify", min_digits=4, max_digits=4, finish_on="#")
    sent, got = drive(collect(AgiSpeaker(MENU, "s"), c), {"WAIT FOR DIGIT": ["200 result=52", "200 result=51",
                                                                           "200 result=50", "200 result=49"]})
    assert got == Digits("4321") and sent.count("WAIT FOR DIGIT 6000") == 1 and len(sent) == 5
    _, got = drive(collect(AgiSpeaker(MENU, "s"), c), {"WAIT FOR DIGIT": ["200 result=52", "200 result=0"]})
    assert got == Digits("4")


def test_a_hang_up_is_the_callers_input() -> None:
    _, got = drive(collect(AgiSpeaker(MENU, "s"), menu_collect()), {"STREAM FILE": ["200 result=-1 endpos=0"]})
    assert got == HungUp()
    _, got = drive(collect(AgiSpeaker(MENU, "s"), menu_collect()), {"WAIT FOR DIGIT": ["511 Command Not Permitted"]})
    assert got == HungUp()


def test_amounts_dates_and_times_use_asterisks_readers_in_english() -> None:
    step = Step((SayAmount(Decimal("12345.50"), "KES", "shillings", "en"), SayDate(date(2026, 12, 18), "en"),
                 SayTime(time(8, 30), "en")), Route("collections"))
    sent, got = drive(run_step(AgiSpeaker(MENU, "snd"), step), {})
    assert sent == ['SAY NUMBER 12345 ""', 'STREAM FILE snd/en/w_shillings ""', 'STREAM FILE snd/en/w_and ""',
                    'SAY NUMBER 50 ""', 'STREAM FILE snd/en/w_cents ""',
                    'SAY DATETIME 1797595200 "" ABd UTC', 'SAY DATETIME 946888200 "" IMp UTC',
                    "SET VARIABLE SWITCHBOARD_QUEUE collections"]
    assert got is None


def test_kiswahili_numbers_are_our_words() -> None:
    step = Step((SayAmount(Decimal("1500"), "KES", "shilingi", "sw"),), Hangup())
    sent, _ = drive(run_step(AgiSpeaker(MENU, "snd"), step), {})
    assert sent == ['STREAM FILE snd/sw/w_shilingi ""', 'STREAM FILE snd/sw/w_elfu ""', 'STREAM FILE snd/sw/w_moja ""',
                    'STREAM FILE snd/sw/w_mia ""', 'STREAM FILE snd/sw/w_tano ""', "HANGUP"]


def test_the_channel_language_follows_the_callers_choice() -> None:
    speaker = AgiSpeaker(MENU, "snd", channel_language="sw")
    sent, _ = drive(run_step(speaker, Step((SayDate(date(2026, 12, 18), "en"),), Hangup())), {})
    assert sent[0] == "SET VARIABLE CHANNEL(language) en" and sent[1].startswith("SAY DATETIME")


def test_a_key_during_the_words_before_a_collect_skips_to_it() -> None:
    step = Step((PlayPrompt("balance_only__1", "Your outstanding balance is", "en"),), menu_collect())
    sent, got = drive(run_step(AgiSpeaker(MENU, "s"), step), {"STREAM FILE": ["200 result=50 endpos=300"]})
    assert sent == ["STREAM FILE s/en/balance_only__1 0123456789*#"] and got == Digits("2")
