"""Calling window in the customer's local time, DST zones included."""

from __future__ import annotations

from dataclasses import replace

import pytest

from config.compliance_loader import load_pack
from domain.compliance import Allowed, Blocked, Pack, Window, check, evaluate_all
from tests.compliance.oracle import context, utc


@pytest.fixture(scope="module")
def kenya() -> Pack:
    return load_pack("kenya")


@pytest.fixture(scope="module")
def reg_f() -> Pack:
    return load_pack("us_reg_f")


def test_nairobi_before_opening_is_blocked_until_eight_local(kenya: Pack) -> None:
    decision = check(kenya, context(utc(2026, 3, 2, 4, 59)))  # Monday 07:59 EAT (UTC+3)
    assert isinstance(decision, Blocked)
    assert decision.rule == "calling_window"
    assert decision.next_allowed_at == utc(2026, 3, 2, 5, 0)
    assert "07:59" in decision.message
    assert "Africa/Nairobi" in decision.message


def test_nairobi_window_is_closed_on_the_stroke_of_twenty(kenya: Pack) -> None:
    assert check(kenya, context(utc(2026, 3, 2, 5, 0))) == Allowed()
    assert check(kenya, context(utc(2026, 3, 2, 16, 59, 59))) == Allowed()
    decision = check(kenya, context(utc(2026, 3, 2, 17, 0)))  # 20:00 EAT
    assert isinstance(decision, Blocked)
    assert decision.next_allowed_at == utc(2026, 3, 3, 5, 0)


def test_kenya_sunday_is_closed_so_saturday_evening_waits_for_monday(kenya: Pack) -> None:
    decision = check(kenya, context(utc(2026, 3, 7, 17, 30)))  # Saturday 20:30 EAT
    assert isinstance(decision, Blocked)
    assert decision.next_allowed_at == utc(2026, 3, 9, 5, 0)  # Monday 08:00 EAT
    assert isinstance(check(kenya, context(utc(2026, 3, 8, 9, 0))), Blocked)  # Sunday noon


def test_new_york_spring_forward_opens_at_eight_daylight_time(reg_f: Pack) -> None:
    # 2026-03-08 01:00 EST (UTC-5); clocks jump 02:00 -> 03:00; 08:00 EDT is 12:00 UTC, not 13:00.
    decision = check(reg_f, context(utc(2026, 3, 8, 6, 0), "America/New_York"))
    assert isinstance(decision, Blocked)
    assert decision.next_allowed_at == utc(2026, 3, 8, 12, 0)


def test_new_york_fall_back_opens_at_eight_standard_time(reg_f: Pack) -> None:
    # Saturday 2026-10-31 21:00 EDT (01:00 UTC); clocks fall back at 02:00; 08:00 EST is 13:00 UTC.
    decision = check(reg_f, context(utc(2026, 11, 1, 1, 0), "America/New_York"))
    assert isinstance(decision, Blocked)
    assert decision.next_allowed_at == utc(2026, 11, 1, 13, 0)
    assert check(reg_f, context(utc(2026, 11, 1, 0, 59), "America/New_York")) == Allowed()  # 20:59 EDT


def _pack_with_window(base: Pack, start: int, end: int) -> Pack:
    return replace(base, week=tuple((Window(start, end),) for _ in range(7)))


def test_window_opening_inside_the_spring_gap_opens_at_the_transition(reg_f: Pack) -> None:
    pack = _pack_with_window(reg_f, 2 * 60 + 30, 4 * 60)  # 02:30-04:00: 02:30 does not exist on 8 March
    decision = check(pack, context(utc(2026, 3, 8, 6, 0), "America/New_York"))  # 01:00 EST
    assert isinstance(decision, Blocked)
    assert decision.next_allowed_at == utc(2026, 3, 8, 7, 0)  # the jump: 03:00 EDT


def test_window_inside_the_repeated_hour_opens_twice(reg_f: Pack) -> None:
    pack = _pack_with_window(reg_f, 90, 120)  # 01:30-02:00, lived twice on 1 November
    zone = "America/New_York"
    assert check(pack, context(utc(2026, 11, 1, 5, 45), zone)) == Allowed()  # 01:45 EDT
    decision = check(pack, context(utc(2026, 11, 1, 6, 0), zone))  # 01:00 EST (second time)
    assert isinstance(decision, Blocked)
    assert decision.next_allowed_at == utc(2026, 11, 1, 6, 30)  # 01:30 EST


def test_lord_howe_half_hour_dst(reg_f: Pack) -> None:
    # Australia/Lord_Howe: UTC+10:30 standard, +11 summer; DST starts 2026-10-04 02:00 -> 02:30.
    decision = check(reg_f, context(utc(2026, 10, 3, 11, 0), "Australia/Lord_Howe"))  # Sat 21:30 +10:30
    assert isinstance(decision, Blocked)
    assert decision.next_allowed_at == utc(2026, 10, 3, 21, 0)  # Sunday 08:00 +11


def test_sms_obeys_the_window_too(kenya: Pack) -> None:
    blocks = evaluate_all(kenya, context(utc(2026, 3, 2, 2, 0), channel="sms"))
    assert [b.rule for b in blocks] == ["calling_window"]
