"""How amounts and days read in a sentence a person sees (an SMS, an escalation, a spoken or written
summary): ``12,400`` (cents only when there are some) and ``7 Dec 2026``, never an ISO string."""

from __future__ import annotations

from datetime import date
from decimal import Decimal


def money(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"
