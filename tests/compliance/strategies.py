"""Hypothesis strategies: random packs, time zones, clocks (often near a DST switch) and histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TypeVar, get_args
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from domain.compliance import (
    Attempt,
    AttemptLimits,
    Channel,
    DialContext,
    Pack,
    Purpose,
    Relation,
    RelationPolicy,
    Window,
)

CHANNELS: tuple[Channel, ...] = get_args(Channel)
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
RELATIONS: tuple[Relation, ...] = get_args(Relation)
CONSENTS = ("alt_contacts", "marketing")
DST_ZONES = (
    "Africa/Nairobi", "America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Havana",
    "Asia/Beirut", "America/Santiago", "Pacific/Chatham", "Africa/Casablanca", "America/St_Johns",
    "Asia/Kolkata", "UTC",
)
T = TypeVar("T")


@cache
def offset_switches(zone_name: str) -> tuple[datetime, ...]:
    """Minutes (UTC) at which the zone's offset changed in 2024-2027: step hourly, then by minute."""
    tz, found = ZoneInfo(zone_name), []
    at = datetime(2024, 1, 1, tzinfo=UTC)
    previous = at.astimezone(tz).utcoffset()
    while at < datetime(2028, 1, 1, tzinfo=UTC):
        at += timedelta(hours=1)
        offset = at.astimezone(tz).utcoffset()
        if offset != previous:
            minute = at - timedelta(minutes=59)
            while minute.astimezone(tz).utcoffset() == previous:
                minute += timedelta(minutes=1)
            found.append(minute)
        previous = offset
    return tuple(found)


zones = st.one_of(st.sampled_from(DST_ZONES), st.timezone_keys())
_minutes = st.one_of(st.integers(0, 48).map(lambda half_hours: half_hours * 30), st.integers(0, 1440))
windows = _minutes.filter(lambda m: m < 1440).flatmap(
    lambda start: st.integers(start + 1, 1440).map(lambda end: Window(start, end)))
weeks = st.lists(st.lists(windows, max_size=2).map(tuple), min_size=7, max_size=7).filter(any).map(tuple)
policies = st.builds(
    RelationPolicy,
    allowed=st.frozensets(st.sampled_from(RELATIONS)).map(lambda allowed: allowed | {"customer"}),
    with_consent=st.dictionaries(st.sampled_from(RELATIONS), st.sampled_from(CONSENTS)),
)
random_packs = st.builds(
    Pack,
    name=st.just("random"),
    week=weeks,
    limits=st.builds(
        AttemptLimits,
        max_per_day=st.none() | st.integers(1, 4),
        max_per_7d=st.none() | st.integers(1, 8),
        pause_after_conversation=st.booleans(),
        per_debt=st.booleans(),
        channels=st.frozensets(st.sampled_from(CHANNELS), min_size=1),
        purposes=st.frozensets(st.sampled_from(PURPOSES), min_size=1),
        relations=st.frozensets(st.sampled_from(RELATIONS), min_size=1),
    ),
    relations=st.dictionaries(st.sampled_from(PURPOSES), policies, min_size=2),
    do_not_call_channels=st.frozensets(st.sampled_from(CHANNELS)),
)


@st.composite
def clocks(draw: st.DrawFn, zone_name: str) -> datetime:
    switches = offset_switches(zone_name)
    near_switch: bool = draw(st.booleans())
    if switches and near_switch:
        base = draw(st.sampled_from(switches))
        now = base + timedelta(seconds=draw(st.integers(-3 * 86400, 3 * 86400)))
    else:
        naive = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2032, 12, 31)))
        now = naive.replace(tzinfo=UTC)
    if draw(st.booleans()):  # land exactly on minute (and so on window) boundaries now and then
        now = now.replace(second=0, microsecond=0)
    return now


def _rare(value: st.SearchStrategy[bool]) -> st.SearchStrategy[bool]:
    return st.integers(0, 15).flatmap(lambda n: value if n == 0 else st.just(False))


def _mostly(common: T, others: tuple[T, ...]) -> st.SearchStrategy[T]:
    return st.sampled_from((common, common, common, *others))


@st.composite
def contexts(draw: st.DrawFn) -> DialContext:
    zone_name = draw(zones)
    now = draw(clocks(zone_name))
    seconds = st.one_of(st.integers(-2 * 3600, 9 * 86400), st.integers(-2 * 3600, 36 * 3600))
    ago = seconds.map(lambda s: now - timedelta(seconds=s))
    attempt = st.builds(
        Attempt,
        at=ago,
        loan_id=st.sampled_from([None, "L1", "L2"]),
        conversation=st.integers(0, 5).map(lambda n: n == 0),
        relation=_mostly("customer", RELATIONS),
        channel=_mostly("call", CHANNELS),
    )
    revoked = st.none() | ago
    return DialContext(
        now=now,
        channel=draw(_mostly("call", CHANNELS)),
        purpose=draw(_mostly("collections", PURPOSES)),
        timezone=zone_name,
        relation=draw(_mostly("customer", RELATIONS)),
        consents=draw(st.frozensets(st.sampled_from(CONSENTS))),
        do_not_call=draw(_rare(st.just(True))),
        do_not_call_at=draw(st.none() | ago),
        call_consent_revoked_at=draw(revoked) if draw(_rare(st.just(True))) else None,
        sms_consent_revoked_at=draw(revoked) if draw(_rare(st.just(True))) else None,
        loan_id=draw(st.sampled_from([None, "L1", "L2"])),
        history=tuple(draw(st.lists(attempt, max_size=30))),
    )


DST_SWITCHING = tuple(zone for zone in DST_ZONES if offset_switches(zone))


@st.composite
def dst_edge_cases(draw: st.DrawFn, base: Pack) -> tuple[Pack, DialContext]:
    """A pack whose daily window opens inside the hour a DST switch skips or repeats, and a clock
    from two days before that switch to an hour after it (inside a repeated hour, say)."""
    zone_name = draw(st.sampled_from(DST_SWITCHING))
    tz = ZoneInfo(zone_name)
    switch = draw(st.sampled_from(offset_switches(zone_name)))
    walls = sorted(instant.astimezone(tz).replace(tzinfo=None)
                   for instant in (switch - timedelta(microseconds=1), switch))
    first = walls[0].hour * 60 + walls[0].minute
    span = max(1, round((walls[1] - walls[0]).total_seconds() / 60))
    start = (first + draw(st.integers(0, span))) % 1440
    end = min(1440, start + draw(st.integers(1, 180)))
    pack = Pack(name="dst-edge", week=tuple((Window(start, end),) for _ in range(7)), limits=base.limits,
                relations=base.relations, do_not_call_channels=base.do_not_call_channels)
    before = st.one_of(st.integers(0, 2 * 86400), st.integers(-3600, 2 * 3600))  # often inside the hour
    now = switch - timedelta(seconds=draw(before))
    return pack, DialContext(now=now, channel="call", purpose="collections", timezone=zone_name)
