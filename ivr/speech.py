"""Prompts as speech: a prompt's text split at its placeholders, values said with the right reader.

``Your balance is {balance}.`` becomes the piece ``balance__1`` ("Your balance is"), then the
amount, then ``balance__2`` ("."). A prompt without placeholders is one piece named like the
prompt. Pieces without a letter or digit are spoken as silence on Asterisk (no sound file) but kept
in the text that TwiML says. :func:`vocabulary` lists every sound file a language needs: the pieces
of every prompt, and the words our readers use for numbers, dates and amounts.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache

from config.lists.ivr_menu import IvrMenu
from ivr.instructions import PlayPrompt, SayAmount, SayDate, SayNumber, SayTime, Speech
from ivr.words import (
    EN_OTHER,
    split_amount,
    sw_amount,
    sw_date,
    sw_digits,
    sw_number,
    sw_time,
    sw_vocabulary,
    word_stem,
)

_FORMATTER = string.Formatter()


@dataclass(frozen=True, slots=True)
class WordReader:
    number: Callable[[int], list[str]]
    amount: Callable[..., list[str]]
    date: Callable[[date], list[str]]
    time: Callable[[time], list[str]]
    digits: Callable[[str], list[str]]
    vocabulary: Callable[[], list[str]]


WORD_READERS: dict[str, WordReader] = {
    "sw": WordReader(number=sw_number, amount=sw_amount, date=sw_date, time=sw_time, digits=sw_digits,
                     vocabulary=sw_vocabulary),
}


@dataclass(frozen=True, slots=True)
class Piece:
    name: str
    text: str

    @property
    def audible(self) -> bool:
        return any(ch.isalnum() for ch in self.text)


@lru_cache(maxsize=4096)
def pieces(prompt: str, text: str) -> tuple[Piece | str, ...]:
    """The prompt's literal pieces (named ``prompt`` or ``prompt__N``) and placeholder names, in order."""
    parsed = list(_FORMATTER.parse(text))
    whole = len(parsed) == 1 and parsed[0][1] is None
    out: list[Piece | str] = []
    index = 0
    for literal, field, _spec, _conv in parsed:
        if literal:
            index += 1
            out.append(Piece(prompt if whole else f"{prompt}__{index}", literal.strip()))
        if field:
            out.append(field)
    return tuple(out)


def speak(menu: IvrMenu, prompt: str, language: str, values: Mapping[str, Speech] | None = None) -> list[Speech]:
    """The speech of ``prompt`` in ``language``, its placeholders filled from ``values`` (a value
    that is not known is left out rather than failing the call)."""
    out: list[Speech] = []
    for part in pieces(prompt, menu.text(prompt, language)):
        if isinstance(part, Piece):
            out.append(PlayPrompt(part.name, part.text, language))
        elif values is not None and part in values:
            out.append(values[part])
    return out


def unit_name(menu: IvrMenu, currency: str, language: str) -> str:
    return menu.currencies.get(currency, {}).get(language, currency)


def reader(language: str) -> WordReader | None:
    return WORD_READERS.get(language)


def words_of(speech: Speech) -> list[str] | None:
    """The words our reader says for ``speech`` (None: no reader for its language, or a prompt)."""
    read = reader(speech.language)
    if read is None or isinstance(speech, PlayPrompt):
        return None
    if isinstance(speech, SayNumber):
        return read.number(speech.value)
    if isinstance(speech, SayAmount):
        return read.amount(speech.amount, speech.unit)
    if isinstance(speech, SayDate):
        return read.date(speech.value)
    if isinstance(speech, SayTime):
        return read.time(speech.value)
    return read.digits(speech.digits)


def text_of(speech: Speech) -> str:
    """What a text-to-speech engine (Twilio's ``<Say>``) should read for ``speech``."""
    if isinstance(speech, PlayPrompt):
        return speech.text
    words = words_of(speech)
    if words is not None:
        return " ".join(words)
    if isinstance(speech, SayNumber):
        return str(speech.value)
    if isinstance(speech, SayAmount):
        whole, cents = split_amount(speech.amount)
        return f"{whole:,} {speech.unit}" + (f" and {cents} cents" if cents else "")
    if isinstance(speech, SayDate):
        return f"{speech.value:%A}, {speech.value.day} {speech.value:%B}"
    if isinstance(speech, SayTime):
        hour = speech.value.hour % 12 or 12
        minute = f":{speech.value.minute:02d}" if speech.value.minute else ""
        return f"{hour}{minute} {'AM' if speech.value.hour < 12 else 'PM'}"
    return " ".join(speech.digits)


def sentence(speech: list[Speech] | tuple[Speech, ...]) -> str:
    """Pieces and values joined into one text (spaces where a piece does not bring its own)."""
    out = ""
    for item in speech:
        text = text_of(item)
        if not text:
            continue
        if out and not out.endswith(" ") and text[0].isalnum():
            out += " "
        out += text
    return out


def vocabulary(menu: IvrMenu, language: str) -> dict[str, str]:
    """Every sound file ``language`` needs: file stem -> the text to render in it."""
    files: dict[str, str] = {}
    for prompt, texts in menu.prompts.items():
        for part in pieces(prompt, texts[language]):
            if isinstance(part, Piece) and part.audible:
                files[part.name] = part.text
    words: list[str] = [names[language] for names in menu.currencies.values() if language in names]
    read = reader(language)
    words += read.vocabulary() if read is not None else list(EN_OTHER)
    for word in words:
        files.setdefault(word_stem(word), word)
    return files
