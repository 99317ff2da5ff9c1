"""Events of the supervisors' side: facts the escalation queue acts on, and new config versions.

- :class:`PromiseBroken`: the dialer marked a promise to pay broken (its date passed, unpaid).
- :class:`EscalationRequested`: a part that decided an account needs a supervisor (the dialer after
  N failed attempts in a row) asks the escalation queue to raise it under ``rule``.
- :class:`ConfigChanged`: a new version of an editable list was saved; every worker reloads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain.events.base import Event


@dataclass(frozen=True, kw_only=True)
class PromiseBroken(Event, type_name="account.promise_broken"):
    customer_id: int
    promise_id: int
    amount: str  # decimal as a string, in the settings currency
    due_date: date
    task_id: int | None = None  # the broken_promise call task the dialer made for it


@dataclass(frozen=True, kw_only=True)
class EscalationRequested(Event, type_name="escalation.requested"):
    customer_id: int
    rule: str  # e.g. "failed_attempts"
    trigger: str  # what fired it (an escalation is raised once per rule, account and trigger)
    why: str  # a sentence for the supervisor
    task_id: int | None = None
    figures: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (name, value) pairs


@dataclass(frozen=True, kw_only=True)
class ConfigChanged(Event, type_name="config.changed"):
    name: str  # the list's name ("dispositions", ...)
    version: int
