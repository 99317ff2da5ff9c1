"""The values the menu's prompts speak ({balance}, {amount}, {date} ...) and the DDMM date rule."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from config.lists.ivr_menu import IvrMenu
from ivr.instructions import SayAmount, SayDate, SayTime, Speech
from ivr.speech import unit_name
from ivr.state import EngineState


def values_of(menu: IvrMenu, s: EngineState) -> dict[str, Speech]:
    """Every placeholder value the session knows now, in its language."""
    values: dict[str, Speech] = {}
    account, lang = s.account, s.language
    if account is not None:
        unit = unit_name(menu, account.currency, lang)
        values["balance"] = SayAmount(account.balance, account.currency, unit, lang)
        if account.next_instalment is not None:
            values["instalment"] = SayAmount(account.next_instalment, account.currency, unit, lang)
        if account.next_due is not None:
            values["due_date"] = SayDate(account.next_due, lang)
        if s.amount is not None:
            values["amount"] = SayAmount(s.amount, account.currency, unit, lang)
    if s.due is not None:
        values["date"] = SayDate(s.due, lang)
    if s.callback_at is not None:
        values["date"] = SayDate(s.callback_at.date(), lang)
        values["time"] = SayTime(s.callback_at.time().replace(second=0, microsecond=0), lang)
    return values


def promise_date(ddmm: str, today: date) -> date | None:
    """DDMM as the date it most likely means: this year's, or next year's when this year's was
    more than half a year ago (31 Dec entering 0501 means next January). None: no such date."""
    if len(ddmm) != 4 or not ddmm.isdigit():
        return None
    day, month = int(ddmm[:2]), int(ddmm[2:])
    if not 1 <= month <= 12:
        return None
    for year in (today.year, today.year + 1):
        if 1 <= day <= calendar.monthrange(year, month)[1]:
            found = date(year, month, day)
            if found >= today - timedelta(days=183) or year > today.year:
                return found
    return None
