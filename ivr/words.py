"""Numbers, amounts, dates and times as words, for languages whose numbers Asterisk cannot say.

Asterisk ships number and date sounds for English (SAY NUMBER, SAY DATETIME); for Kiswahili we
speak them with our own recorded words (``switchboard ivr prompts`` renders each word once), and
the TwiML path sends the same words as text. Each function returns the words in order; a word is
also the name of its sound file (:func:`word_stem`).

Kiswahili: 12,345 is "elfu kumi na mbili mia tatu arobaini na tano"; an amount puts the currency
first ("shilingi elfu moja"); a date is "tarehe kumi na nane Desemba"; the time is Swahili time,
counted from six in the morning ("saa tatu na dakika kumi asubuhi" is 09:10).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal

SW_UNITS = ("sifuri", "moja", "mbili", "tatu", "nne", "tano", "sita", "saba", "nane", "tisa")
SW_TENS = ("", "kumi", "ishirini", "thelathini", "arobaini", "hamsini", "sitini", "sabini", "themanini", "tisini")
SW_MONTHS = ("Januari", "Februari", "Machi", "Aprili", "Mei", "Juni", "Julai", "Agosti", "Septemba", "Oktoba",
             "Novemba", "Desemba")
SW_OTHER = ("mia", "elfu", "milioni", "na", "tarehe", "saa", "dakika", "asubuhi", "mchana", "jioni", "usiku",
            "senti")
EN_OTHER = ("and", "cents")


def word_stem(word: str) -> str:
    """The sound file of a word or phrase: ``w_`` + its ASCII slug (``shilingi za Uganda`` ->
    ``w_shilingi_za_uganda``)."""
    ascii_text = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return f"w_{slug or 'x'}"


def _sw_below_hundred(n: int) -> list[str]:
    tens, units = divmod(n, 10)
    if tens == 0:
        return [SW_UNITS[units]]
    return [SW_TENS[tens]] + (["na", SW_UNITS[units]] if units else [])


def _sw_below_thousand(n: int, *, after_group: bool) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = ["mia", SW_UNITS[hundreds]] if hundreds else []
    if rest:
        if rest < 10 and (hundreds or after_group):
            words += ["na", SW_UNITS[rest]]
        else:
            words += _sw_below_hundred(rest)
    return words


def sw_number(n: int) -> list[str]:
    """A whole number in Kiswahili words (0 to 999,999,999,999)."""
    if n < 0 or n >= 10**12:
        raise ValueError(f"{n} is out of range")
    if n == 0:
        return [SW_UNITS[0]]
    words: list[str] = []
    millions, rest = divmod(n, 1_000_000)
    thousands, below = divmod(rest, 1000)
    if millions:
        words += ["milioni", *sw_number(millions)]
    if thousands:
        words += ["elfu", *sw_number(thousands)]
    if below:
        words += _sw_below_thousand(below, after_group=bool(millions or thousands))
    return words


def split_amount(amount: Decimal) -> tuple[int, int]:
    """(whole units, cents), rounded to the cent."""
    cents = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return divmod(abs(cents), 100)


def sw_amount(amount: Decimal, unit: str) -> list[str]:
    whole, cents = split_amount(amount)
    words = [unit, *sw_number(whole)]
    if cents:
        words += ["na", "senti", *sw_number(cents)]
    return words


def sw_date(value: date) -> list[str]:
    return ["tarehe", *sw_number(value.day), SW_MONTHS[value.month - 1]]


def sw_time(value: time) -> list[str]:
    """Swahili time: the hour counts from 06:00 (07:00 is "saa moja"), with the part of the day."""
    hour = (value.hour - 6) % 12 or 12
    if 5 <= value.hour < 12:
        part = "asubuhi"
    elif 12 <= value.hour < 16:
        part = "mchana"
    elif 16 <= value.hour < 19:
        part = "jioni"
    else:
        part = "usiku"
    words = ["saa", *sw_number(hour)]
    if value.minute:
        words += ["na", "dakika", *sw_number(value.minute)]
    return [*words, part]


def sw_digits(digits: str) -> list[str]:
    return [SW_UNITS[int(d)] for d in digits if d.isdigit()]


def sw_vocabulary() -> list[str]:
    """Every word the Kiswahili readers can say (besides currency names)."""
    return _unique([*SW_UNITS, *SW_TENS[1:], *SW_MONTHS, *SW_OTHER])


def _unique(words: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(words))
