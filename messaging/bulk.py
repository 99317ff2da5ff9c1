"""Bulk reminders: one template to a filtered set of customers (promises due tomorrow, accounts
1-30 days past due ...), from the supervisor's page or ``switchboard sms send-bulk``.

1. :meth:`BulkReminders.preview`: how many customers, the estimated cost (a sample's SMS parts x
   the count x the first provider's price per part) and what the gate would block in the sample.
2. :meth:`BulkReminders.start` (after the person confirmed the count and the cost): a ``bulk_sends``
   row. 3. :meth:`BulkReminders.queue_all` writes one message per customer, each through the gate
   (``queued`` or ``blocked``), in chunks that each commit with the run's cursor. A crash loses at
   most the chunk in flight, and resuming continues after the cursor, skipping customers the run
   already holds a message for (unique per run and customer): nobody gets two. The sender then
   sends them once each, rate-limited per provider, agents' own messages first.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select

from domain.compliance.localtime import local_date, zone
from domain.errors import Conflict, InvalidInput, NotFound, SwitchboardError
from domain.message_status import FAILED, QUEUED, SENDING
from messaging.outbox import Draft
from messaging.service import MessagingService
from store.models import BulkSend, Campaign, Message, User
from store.repositories import bulk_sends
from store.repositories.messages import MessageRepository

log = logging.getLogger(__name__)
CHUNK = 100
SAMPLE = 50
_DPD = re.compile(r"^(\d{1,4})-(\d{1,4})$")


@dataclass(frozen=True, slots=True)
class BulkFilter:
    kind: Literal["promises_due", "days_past_due"]
    day: str | None = None  # today, tomorrow or an ISO date (promises_due)
    min_days: int | None = None
    max_days: int | None = None
    campaign: str | None = None

    @classmethod
    def parse(cls, text: str, campaign: str | None = None) -> BulkFilter:
        """``promises-due:tomorrow``, ``promises-due:2026-12-08``, ``dpd:1-30``."""
        kind, _, arg = text.strip().partition(":")
        if kind in ("promises-due", "promises_due"):
            return cls.from_json({"kind": "promises_due", "day": arg or "tomorrow", "campaign": campaign})
        if kind in ("dpd", "days-past-due", "days_past_due"):
            match = _DPD.match(arg)
            if match is None:
                raise InvalidInput(f"{text!r}: write dpd:MIN-MAX, e.g. dpd:1-30", {"filter": "dpd:MIN-MAX"})
            return cls.from_json({"kind": "days_past_due", "min_days": int(match[1]), "max_days": int(match[2]),
                                  "campaign": campaign})
        raise InvalidInput(f"unknown filter {text!r}: use promises-due:tomorrow or dpd:1-30",
                           {"filter": "promises-due:DAY or dpd:MIN-MAX"})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BulkFilter:
        kind = data.get("kind")
        campaign = data.get("campaign") or None
        if kind == "promises_due":
            day = str(data.get("day") or "tomorrow")
            if day not in ("today", "tomorrow"):
                try:
                    date.fromisoformat(day)
                except ValueError as exc:
                    raise InvalidInput(f"{day!r} is not today, tomorrow or a date", {"filter.day": "bad day"}) from exc
            return cls("promises_due", day=day, campaign=campaign)
        if kind == "days_past_due":
            low, high = int(data.get("min_days") or 0), int(data.get("max_days") or 0)
            if not 0 <= low <= high <= 10_000:
                raise InvalidInput("days past due: 0 <= min <= max", {"filter.max_days": "min..max"})
            return cls("days_past_due", min_days=low, max_days=high, campaign=campaign)
        raise InvalidInput("filter.kind is promises_due or days_past_due", {"filter.kind": "unknown"})

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "day": self.day, "min_days": self.min_days, "max_days": self.max_days,
                "campaign": self.campaign}

    def label(self) -> str:
        what = (f"promises due {self.day}" if self.kind == "promises_due"
                else f"accounts {self.min_days}-{self.max_days} days past due")
        return what + (f" in campaign {self.campaign}" if self.campaign else "")


class BulkReminders:
    def __init__(self, service: MessagingService, clock: Callable[[], datetime]) -> None:
        self.service = service
        self.database = service.database
        self.settings = service.settings
        self.clock = clock

    async def _selection(self, session: Any, flt: BulkFilter) -> bulk_sends.Selection:
        campaign_id = None
        if flt.campaign:
            campaign_id = await session.scalar(select(Campaign.id).where(Campaign.code == flt.campaign))
            if campaign_id is None:
                raise InvalidInput(f"unknown campaign {flt.campaign!r}", {"filter.campaign": "unknown"})
        if flt.kind == "days_past_due":
            return bulk_sends.Selection("days_past_due", min_days=flt.min_days, max_days=flt.max_days,
                                        campaign_id=campaign_id)
        today = local_date(self.clock(), zone(self.settings.timezone))
        day = {"today": today, "tomorrow": today + timedelta(days=1)}.get(flt.day or "")
        return bulk_sends.Selection("promises_due", day=day or date.fromisoformat(str(flt.day)),
                                    campaign_id=campaign_id)

    def _template(self, code: str) -> None:
        template = self.service.composer.lists().template(code)
        if template.channel != "sms":
            raise InvalidInput(f"{code!r} is an {template.channel} template; bulk reminders are SMS",
                               {"template": "an sms template"})

    def price(self) -> Decimal:
        first = self.settings.sms.providers[0] if self.settings.sms.providers else "africastalking"
        return getattr(self.settings.sms, first).price_per_segment  # type: ignore[no-any-return]

    async def preview(self, flt: BulkFilter, template: str, user: User) -> dict[str, Any]:
        self.service.require("sms")
        self._template(template)
        async with self.database.session() as session:
            selection = await self._selection(session, flt)
            total = await bulk_sends.count(session, selection)
            sample = await bulk_sends.page(session, selection, after_id=0, limit=SAMPLE)
            parts, blocked, examples = [], Counter[str](), []
            for customer in sample:
                try:
                    composed = await self.service.composer.compose(
                        session, customer, Draft("sms", template=template), agent_name=user.display_name)
                except SwitchboardError as exc:
                    blocked["cannot_compose"] += 1
                    examples.append({"customer_id": customer.id, "name": customer.name, "problem": exc.message})
                    continue
                parts.append(composed.length.segments if composed.length else 1)
                if composed.blocked is not None:
                    blocked[composed.blocked.rule] += 1
                if len(examples) < 3:
                    examples.append({"customer_id": customer.id, "name": customer.name, "text": composed.text,
                                     "segments": parts[-1],
                                     "blocked": composed.blocked.rule if composed.blocked else None})
        average = Decimal(sum(parts)) / len(parts) if parts else Decimal(1)
        cost = (average * total * self.price()).quantize(Decimal("0.01"))
        return {"filter": flt.to_json(), "label": flt.label(), "template": template, "count": total,
                "sample_size": len(sample), "average_segments": float(round(average, 2)),
                "estimated_cost": str(cost), "currency": self.settings.currency,
                "price_per_segment": str(self.price()), "blocked_in_sample": dict(blocked), "examples": examples}

    async def start(self, flt: BulkFilter, template: str, user: User, expected_count: int | None) -> BulkSend:
        """The confirmed run; 409 when the set changed since the count the person confirmed."""
        found = await self.preview(flt, template, user)
        if expected_count is not None and expected_count != found["count"]:
            raise Conflict(f"the set changed: {found['count']} customers now, not {expected_count}; confirm again",
                           {"count": found["count"]})
        async with self.database.session() as session:
            run = BulkSend(template=template, filter=flt.to_json(), filter_label=flt.label(), status="queuing",
                           total=found["count"], estimated_cost=f"{found['currency']} {found['estimated_cost']}",
                           created_by_id=user.id, created_at=self.clock())
            session.add(run)
        return run

    async def queue_all(self, bulk_id: int, progress: Callable[[int, int], None] | None = None) -> BulkSend:
        """Write the run's messages chunk by chunk (resumable); the run is then ``sending``."""
        while True:
            async with self.database.session() as session:
                run = await session.get(BulkSend, bulk_id)
                if run is None:
                    raise NotFound(f"no bulk run {bulk_id}")
                if run.status != "queuing":
                    return run
                creator = await session.get(User, run.created_by_id) if run.created_by_id else None
                selection = await self._selection(session, BulkFilter.from_json(run.filter))
                customers = await bulk_sends.page(session, selection, after_id=run.cursor, limit=CHUNK, bulk_id=run.id)
                if not customers:
                    run.status = "sending"
                    return run
                for customer in customers:
                    await self._queue_one(session, run, customer, creator)
                run.cursor = customers[-1].id
                done = await self._written(session, run.id)
            self.service.sender.poke()
            if progress is not None:
                progress(done, run.total)

    async def _queue_one(self, session: Any, run: BulkSend, customer: Any, creator: User | None) -> None:
        try:  # composing reads only; the row is written once it composed (nothing to undo on a refusal)
            await self.service.queue(session, customer, Draft("sms", template=run.template), agent=creator,
                                     bulk_id=run.id, priority=1)
        except (InvalidInput, NotFound) as exc:
            now = self.clock()
            session.add(Message(customer_id=customer.id, bulk_id=run.id, direction="outbound", channel="sms",
                                to_address=customer.phones[0].e164 if customer.phones else "-", template=run.template,
                                body="", status=FAILED, reason=f"not composed: {exc.message}"[:500],
                                created_by_id=run.created_by_id, created_at=now, updated_at=now, not_before=now))

    @staticmethod
    async def _written(session: Any, bulk_id: int) -> int:
        return sum((await MessageRepository(session).bulk_counts(bulk_id)).values())

    async def progress(self, bulk_id: int) -> dict[str, Any]:
        async with self.database.session() as session:
            run = await session.get(BulkSend, bulk_id)
            if run is None:
                raise NotFound(f"no bulk run {bulk_id}", {"id": str(bulk_id)})
            counts = await MessageRepository(session).bulk_counts(bulk_id)
            pending = counts.get(QUEUED, 0) + counts.get(SENDING, 0)
            if run.status == "sending" and pending == 0:
                run.status, run.finished_at = "done", self.clock()
            return run_json(run, counts)


def run_json(run: BulkSend, counts: dict[str, int]) -> dict[str, Any]:
    written = sum(counts.values())
    settled = written - counts.get(QUEUED, 0) - counts.get(SENDING, 0)
    return {"id": run.id, "template": run.template, "filter": run.filter, "label": run.filter_label,
            "status": run.status, "total": run.total, "written": written, "settled": settled, "counts": counts,
            "estimated_cost": run.estimated_cost, "created_at": run.created_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "percent": round(100 * settled / run.total, 1) if run.total else 100.0}

