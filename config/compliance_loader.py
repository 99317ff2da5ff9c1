"""Load a compliance pack from ``config/compliance/<name>.yaml`` (or a path), validated.

A bad file raises :class:`domain.errors.ConfigError` whose message and ``details`` name the file,
the key (``attempts.max_per_7d``) and the line: the YAML syntax error's mark, or the key's line.
The YAML is read as the list files are (:mod:`config.lists.files`: syntax errors, duplicate keys, key lines).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from config.lists.files import key_line, parse_yaml
from domain.compliance import AttemptLimits, Channel, Pack, Purpose, Relation, RelationPolicy, Window
from domain.compliance.messages import MessageChannel, MessagePolicy
from domain.compliance.pack import WEEKDAYS
from domain.errors import ConfigError

PACKS_DIR = Path(__file__).resolve().parent / "compliance"
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")

DaySpec = str | list[str]  # "closed", "08:00-20:00", or a list of ranges


def _call_and_sms() -> list[Channel]:
    return ["call", "sms"]


def _calls() -> list[Channel]:
    return ["call"]


def _sms_and_email() -> list[MessageChannel]:
    return ["sms", "email"]


def _collections() -> list[Purpose]:
    return ["collections"]


def _every_relation() -> list[Relation]:
    return ["customer", "guarantor", "relationship_officer", "alternative_contact"]


def _windows(spec: DaySpec) -> tuple[Window, ...]:
    if spec == "closed":
        return ()
    ranges = [spec] if isinstance(spec, str) else spec
    windows: list[Window] = []
    for text in ranges:
        match = _RANGE.match(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not 'closed' or a range like '08:00-20:00'")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or (h2, m2) > (24, 0):
            raise ValueError(f"{text!r} is not a valid time range")
        windows.append(Window(h1 * 60 + m1, h2 * 60 + m2))  # Window raises on start >= end
    return tuple(sorted(windows, key=lambda w: w.start))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Hours(_Strict):
    default: DaySpec = "08:00-20:00"
    monday: DaySpec | None = None
    tuesday: DaySpec | None = None
    wednesday: DaySpec | None = None
    thursday: DaySpec | None = None
    friday: DaySpec | None = None
    saturday: DaySpec | None = None
    sunday: DaySpec | None = None

    @field_validator("*")
    @classmethod
    def _parse(cls, value: DaySpec | None) -> DaySpec | None:
        if value is not None:
            _windows(value)
        return value

    def week(self) -> tuple[tuple[Window, ...], ...]:
        days = [getattr(self, day) for day in WEEKDAYS]
        return tuple(_windows(self.default if day is None else day) for day in days)


class _Attempts(_Strict):
    max_per_day: int | None = Field(default=None, ge=1)
    max_per_7d: int | None = Field(default=None, ge=1)
    per_debt: bool = False
    pause_after_conversation: bool = False
    channels: list[Channel] = Field(default_factory=_calls)
    purposes: list[Purpose] = Field(default_factory=_collections)
    relations: list[Relation] = Field(default_factory=_every_relation)


class _RelationPolicy(_Strict):
    allowed: list[Relation]
    with_consent: dict[Relation, str] = Field(default_factory=dict)


class _Messages(_Strict):
    """``messages:`` of a pack (domain/compliance/messages.py): hours for messages (default: the
    calling hours), who may receive a message about the debt, the words that revoke SMS consent."""

    hours: _Hours | None = None
    debt_message_relations: list[Relation] | None = None
    stop_words: list[str] = Field(default_factory=lambda: ["STOP"], min_length=1)
    do_not_contact_channels: list[MessageChannel] = Field(default_factory=_sms_and_email)

    def policy(self, calling_hours: _Hours) -> MessagePolicy:
        relations = None if self.debt_message_relations is None else frozenset(self.debt_message_relations)
        return MessagePolicy(week=(self.hours or calling_hours).week(), debt_relations=relations,
                             stop_words=frozenset(self.stop_words),
                             do_not_contact_channels=frozenset(self.do_not_contact_channels))


class _PackFile(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    calling_hours: _Hours = Field(default_factory=_Hours)
    attempts: _Attempts = Field(default_factory=_Attempts)
    do_not_call_channels: list[Channel] = Field(default_factory=_call_and_sms)
    relations: dict[Purpose, _RelationPolicy]
    messages: _Messages | None = None
    promise_horizon_days: int = Field(default=30, ge=1, le=366)
    monitor_notice_required: bool = False

    def to_pack(self) -> Pack:
        a = self.attempts
        limits = AttemptLimits(
            max_per_day=a.max_per_day, max_per_7d=a.max_per_7d, per_debt=a.per_debt,
            pause_after_conversation=a.pause_after_conversation, channels=frozenset(a.channels),
            purposes=frozenset(a.purposes), relations=frozenset(a.relations),
        )
        relations = {purpose: RelationPolicy(frozenset(p.allowed), dict(p.with_consent))
                     for purpose, p in self.relations.items()}
        return Pack(name=self.name, week=self.calling_hours.week(), limits=limits, relations=relations,
                    do_not_call_channels=frozenset(self.do_not_call_channels), description=self.description,
                    messages=None if self.messages is None else self.messages.policy(self.calling_hours),
                    promise_horizon_days=self.promise_horizon_days,
                    monitor_notice_required=self.monitor_notice_required)


def pack_path(name_or_path: str | Path, packs_dir: Path = PACKS_DIR) -> Path:
    """``"kenya"`` -> ``config/compliance/kenya.yaml``; anything with a suffix or a slash is a path."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or text.endswith((".yaml", ".yml")):
        return Path(name_or_path)
    return packs_dir / f"{text}.yaml"


def _data_loc(data: object, loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """``loc`` without pydantic's union-member tags (``str``, ``list[str]``): the keys found in
    ``data``, plus a missing key's name at the end."""
    kept: list[int | str] = []
    node = data
    for part in loc:
        found = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if found:
            node = node[part]  # type: ignore[index]
        elif isinstance(node, dict) and isinstance(part, str) and part.isidentifier() and part != "str":
            kept.append(part)  # a required key that is missing
            break
        else:
            continue
        kept.append(part)
    return tuple(kept)


def _invalid(path: Path, tree: yaml.Node | None, data: object, exc: ValidationError) -> ConfigError:
    problems: list[dict[str, Any]] = []
    for error in exc.errors():
        loc = _data_loc(data, tuple(error["loc"]))
        key = ".".join(str(part) for part in loc) or "(top level)"
        problems.append({"key": key, "line": key_line(tree, loc), "error": error["msg"]})
    first = problems[0]
    where = f"{path}:{first['line']}" if first["line"] else str(path)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    details: dict[str, Any] = {"file": str(path), **first, "problems": problems}
    return ConfigError(f"{where}: compliance pack key {first['key']!r}: {first['error']}{more}", details)


def pack_from_data(data: dict[str, Any]) -> Pack:
    """A pack from data that is not one file (a pack merged with an admin's overrides).

    Raises pydantic's ValidationError, or ValueError from the domain Pack's own checks.
    """
    return _PackFile.model_validate(data).to_pack()


def load_pack(name_or_path: str | Path, packs_dir: Path = PACKS_DIR) -> Pack:
    """Read, validate and build a pack; ConfigError names the file, the key and the line."""
    path = pack_path(name_or_path, packs_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        message = f"{path}: cannot read compliance pack: {exc.strerror}"
        raise ConfigError(message, {"file": str(path)}) from exc
    data, tree = parse_yaml(text, str(path))  # ConfigError naming the file and the line
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a compliance pack must be a mapping of keys",
                          {"file": str(path), "key": "(top level)"})
    try:
        return _PackFile.model_validate(data).to_pack()
    except ValidationError as exc:
        raise _invalid(path, tree, data, exc) from exc
    except ValueError as exc:  # the domain Pack's own check: open at least once a week
        line = key_line(tree, ("calling_hours",))
        where = f"{path}:{line}" if line else str(path)
        details = {"file": str(path), "key": "calling_hours", "line": line, "error": str(exc)}
        raise ConfigError(f"{where}: compliance pack key 'calling_hours': {exc}", details) from exc
