"""The FastAGI renderer, sans-I/O: an engine :class:`Step` as AGI commands, and the replies read
back into the engine's next input. Each function is a generator: it yields an
:class:`~ivr.agi.protocol.AgiCommand`, is sent the :class:`~ivr.agi.protocol.AgiReply`, and
returns what the caller did; the asyncio shell (:func:`ivr.agi.server.exchange`) runs it.

- prompts are ``STREAM FILE <sounds>/<lang>/<piece>`` (rendered by ``switchboard ivr prompts``);
- numbers, amounts, dates and times use Asterisk's readers (SAY NUMBER, SAY DIGITS, SAY DATETIME
  in the customer's language) where the language has them, and our recorded words otherwise;
- collecting digits: the prompt (and the words before it) play with every key as an escape (a key
  interrupts them and is the first key), then ``WAIT FOR DIGIT`` once per key, with the
  first-digit timeout and then the inter-digit one;
- to agents: ``SET VARIABLE SWITCHBOARD_QUEUE <queue>``, and the dialplan queues the caller.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, date, datetime, time

from config.lists.ivr_menu import IvrMenu
from ivr.agi.protocol import AgiCommand, AgiReply
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
    SayDigits,
    SayNumber,
    SayTime,
    Speech,
    Step,
)
from ivr.speech import Piece, words_of
from ivr.words import split_amount, word_stem

KEYS = "0123456789*#"
QUEUE_VARIABLE = "SWITCHBOARD_QUEUE"


class AgiSpeaker:
    """Speech as commands for one channel (it remembers the channel's language for Asterisk's readers)."""

    def __init__(self, menu: IvrMenu, sounds: str, channel_language: str = "en") -> None:
        self.menu = menu
        self.sounds = sounds.rstrip("/")
        self.channel_language = channel_language

    def file(self, language: str, name: str) -> str:
        return f"{self.sounds}/{language}/{name}"

    def commands(self, speech: Speech, escape: str) -> list[AgiCommand]:
        lang = speech.language
        if isinstance(speech, PlayPrompt):
            if not Piece(speech.name, speech.text).audible:
                return []
            return [AgiCommand("STREAM FILE", (self.file(lang, speech.name), escape))]
        words = words_of(speech)
        if words is not None:
            return [AgiCommand("STREAM FILE", (self.file(lang, word_stem(w)), escape)) for w in words]
        out = self._language(lang)
        if isinstance(speech, SayNumber):
            out.append(AgiCommand("SAY NUMBER", (str(speech.value), escape)))
        elif isinstance(speech, SayDigits):
            out.append(AgiCommand("SAY DIGITS", (speech.digits, escape)))
        elif isinstance(speech, SayAmount):
            whole, cents = split_amount(speech.amount)
            out += [AgiCommand("SAY NUMBER", (str(whole), escape)),
                    AgiCommand("STREAM FILE", (self.file(lang, word_stem(speech.unit)), escape))]
            if cents:
                out += [AgiCommand("STREAM FILE", (self.file(lang, word_stem("and")), escape)),
                        AgiCommand("SAY NUMBER", (str(cents), escape)),
                        AgiCommand("STREAM FILE", (self.file(lang, word_stem("cents")), escape))]
        elif isinstance(speech, SayDate):
            out.append(AgiCommand("SAY DATETIME", (str(_noon(speech.value)), escape, "ABd", "UTC")))
        elif isinstance(speech, SayTime):
            out.append(AgiCommand("SAY DATETIME", (str(_wall(speech.value)), escape, "IMp", "UTC")))
        return out

    def _language(self, language: str) -> list[AgiCommand]:
        """Asterisk's readers speak the channel's language: switch it when needed."""
        if language == self.channel_language:
            return []
        self.channel_language = language
        return [AgiCommand("SET VARIABLE", ("CHANNEL(language)", language))]


def _noon(day: date) -> int:
    """A UNIX time on ``day`` that is the same date in any zone within 11 hours of UTC."""
    return int(datetime.combine(day, time(12), UTC).timestamp())


def _wall(value: time) -> int:
    """A UNIX time whose UTC wall clock is ``value`` (said with the UTC zone: the customer's local time)."""
    return int(datetime.combine(date(2000, 1, 3), value, UTC).timestamp())


def play(speaker: AgiSpeaker, speech: tuple[Speech, ...], escape: str = "") -> Generator[
        AgiCommand, AgiReply, str | None]:
    """Say ``speech``; returns the key that interrupted it (None), or "hangup" when the channel went."""
    for item in speech:
        for command in speaker.commands(item, escape):
            reply = yield command
            if reply.channel_gone:
                return "hangup"
            if escape and reply.digit is not None and command.name != "SET VARIABLE":
                return reply.digit
    return None


def collect(speaker: AgiSpeaker, c: Collect, pressed: str | None = None) -> Generator[AgiCommand, AgiReply, Input]:
    """``pressed``: a key the caller pressed during the words before (it skips the prompt)."""
    if pressed is None:
        pressed = yield from play(speaker, c.speech, KEYS)
    if pressed == "hangup":
        return HungUp()
    digits = ""
    if pressed is not None:
        if pressed == c.finish_on:
            return Digits("")
        digits = pressed
    while len(digits) < c.max_digits:
        timeout = c.first_timeout if not digits else c.inter_timeout
        reply = yield AgiCommand("WAIT FOR DIGIT", (str(int(timeout * 1000)),), timeout=timeout + 5)
        if reply.channel_gone:
            return HungUp()
        key = reply.digit
        if key is None:
            break
        if key == c.finish_on:
            return Digits(digits)
        digits += key
    return Digits(digits) if digits else NoInput()


def run_step(speaker: AgiSpeaker, step: Step) -> Generator[AgiCommand, AgiReply, Input | None]:
    """Say the step, then collect (returns the caller's input), or end: the queue set (returns
    None) or the channel hung up (returns None). Before a collect, a key interrupts the words
    (a caller who knows the menu need not hear the balance out) and is the first key collected."""
    then = step.then
    said = yield from play(speaker, step.say, KEYS if isinstance(then, Collect) else "")
    if said == "hangup":
        return HungUp()
    if isinstance(then, Collect):
        return (yield from collect(speaker, then, said))
    if isinstance(then, Route):
        yield AgiCommand("SET VARIABLE", (QUEUE_VARIABLE, then.queue))
        return None
    if isinstance(then, Hangup):
        yield AgiCommand("HANGUP")
        return None
    raise AssertionError(f"a step for the carrier cannot wait for {type(then).__name__}")
