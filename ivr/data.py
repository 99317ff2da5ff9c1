"""The IVR's data port over the store: it answers the engine's requests (who is calling, is this
ID right, what do they owe, save this promise, book this callback).

Every answer is read and written in the caller's unit of work (:mod:`ivr.unit`). A promise is
saved like an agent's (source ``ivr``, assigned to the customer's agent) with an ``ivr`` entry in
the history, and announced once committed (``IvrPromiseTaken``, and ``InteractionSaved`` so the
wallboard and the dialer see it like any other promise). A callback
is due at the first moment the compliance gate allows a call. ``dry_run`` (``switchboard ivr
simulate``) reads the store but writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from config.lists import Lists
from config.settings import Settings
from domain.compliance import ALT_CONTACTS_CONSENT, Attempt, Blocked, DialContext, Pack, check, customer_zone
from domain.errors import InvalidInput, StoreUnavailable, SwitchboardError
from domain.events import InteractionSaved, IvrCallbackBooked, IvrPromiseTaken, utcnow
from domain.phone import to_e164
from ivr.instructions import (
    AccountMatch,
    AccountView,
    Answer,
    BookCallback,
    CallbackBooked,
    CallerMatches,
    FindAccount,
    FindCaller,
    LoadAccount,
    NoteBalance,
    Noted,
    PromiseSaved,
    Request,
    SavePromise,
    Verified,
    Verify,
)
from ivr.unit import Unit
from store.repositories import ivr_hot
from store.repositories.ivr import CallbackCustomer, add_callback, add_promise, callback_customer, recent_attempts

log = logging.getLogger(__name__)

HISTORY = timedelta(days=8)  # the gate's attempt rules look back at most this far


@dataclass(frozen=True, slots=True)
class CallRef:
    call_id: str
    carrier: str


class StoreIvrData:
    def __init__(self, settings: Settings, lists: Callable[[], Lists], pack: Pack, *,
                 clock: Callable[[], datetime] = utcnow, dry_run: bool = False) -> None:
        self._settings, self._lists, self._pack = settings, lists, pack
        self.clock, self.dry_run = clock, dry_run

    async def answer(self, request: Request, call: CallRef, unit: Unit) -> Answer:
        """The answer to ``request``, read and written in ``unit`` (its events go out on commit)."""
        match request:
            case FindCaller(number=number):
                e164 = to_e164(number, self._settings.default_region)
                if e164 is None:
                    return CallerMatches(())
                async with unit.hot() as hot:
                    return CallerMatches(await ivr_hot.phone_owners(hot, e164))
            case FindAccount(digits=digits):
                async with unit.hot() as hot:
                    return AccountMatch(await ivr_hot.customer_by_account(
                        hot, digits, self._lists().ivr.account_prefixes))
            case Verify(customer_id=customer_id, digits=digits):
                async with unit.hot() as hot:
                    return Verified(ends_with(await ivr_hot.government_id(hot, customer_id), digits))
            case LoadAccount(customer_id=customer_id):
                return await self._account(unit, customer_id)
            case SavePromise():
                return await self._promise(request, call, unit)
            case BookCallback(customer_id=customer_id):
                return await self._callback(customer_id, call, unit)
            case NoteBalance(customer_id=customer_id):
                if not self.dry_run:
                    await ivr_hot.history(await unit.writer(), customer_id, call.call_id, "Balance enquiry (IVR)",
                                          "The customer heard their balance in the IVR.")
                return Noted()
        raise InvalidInput(f"unknown IVR request {type(request).__name__}")

    def _zone(self, name: str | None) -> ZoneInfo:
        return ZoneInfo(customer_zone(name, self._settings.timezone))

    async def _account(self, unit: Unit, customer_id: int) -> AccountView:
        async with unit.hot() as hot:
            found = await ivr_hot.balance(hot, customer_id)
            if found is None:
                raise InvalidInput(f"no customer {customer_id}", {"customer_id": "unknown"})
            zone, total, currency = found
            today = self.clock().astimezone(self._zone(zone)).date()
            upcoming = await ivr_hot.next_instalment(hot, customer_id, today)
        return AccountView(customer_id=customer_id, currency=currency or self._settings.currency, balance=total,
                           next_instalment=None if upcoming is None else upcoming[1],
                           next_due=None if upcoming is None else upcoming[0], today=today,
                           horizon_days=self._pack.promise_horizon_days)

    async def _promise(self, request: SavePromise, call: CallRef, unit: Unit) -> PromiseSaved:
        if self.dry_run:
            return PromiseSaved(-1)
        writer = await unit.writer()
        try:
            async with writer.savepoint():  # a refused promise leaves the unit usable
                promise_id, entry_id = await add_promise(writer, request.customer_id, request.amount, request.due,
                                                         call.call_id)
        except StoreUnavailable:
            raise
        except SwitchboardError as exc:
            log.warning("ivr %s: the promise could not be saved: %s", call.call_id, exc.message)
            return PromiseSaved(None)
        unit.events.append(IvrPromiseTaken(promise_id=promise_id, customer_id=request.customer_id,
                                           amount=str(request.amount), due_date=request.due, call_id=call.call_id))
        unit.events.append(InteractionSaved(
            interaction_id=entry_id, customer_id=request.customer_id, operator="ivr",
            call_id=None, status=None, reason=None, resolution=None, promised_date=request.due))
        return PromiseSaved(promise_id)

    async def _callback(self, customer_id: int, call: CallRef, unit: Unit) -> CallbackBooked:
        now = self.clock()
        async with unit.hot() as hot:
            customer = await callback_customer(hot, customer_id)
            if customer is None:
                return CallbackBooked(None)
            attempts = await recent_attempts(hot, customer_id, now - HISTORY)
        at = first_allowed(self._pack, customer, attempts, now, self._settings.timezone)
        zone = self._zone(customer.timezone)
        if at is None or self.dry_run:
            return CallbackBooked(None if at is None else at.astimezone(zone))
        lists = self._lists()
        campaign = lists.reason("callback").campaign if _has_reason(lists, "callback") else None
        weights = lists.dialer.priority_weights
        task_id = await add_callback(
            await unit.writer(), customer, at, now, call.call_id, campaign_code=campaign,
            priority=round(weights.due_callback + weights.risk * customer.risk_score, 6),
            grace_until=at + timedelta(minutes=self._settings.dialer.callback_grace_minutes))
        unit.events.append(IvrCallbackBooked(customer_id=customer_id, due_at=at, call_id=call.call_id,
                                             task_id=task_id))
        return CallbackBooked(at.astimezone(zone))


def ends_with(government_id: str | None, digits: str) -> bool:
    """Whether the ID number ends with ``digits`` (compared here; neither is stored or logged)."""
    known = "".join(ch for ch in (government_id or "") if ch.isdigit())
    return bool(digits) and len(known) >= len(digits) and known.endswith(digits)


def _has_reason(lists: Lists, code: str) -> bool:
    try:
        lists.reason(code)
    except InvalidInput:
        return False
    return True


def first_allowed(pack: Pack, customer: CallbackCustomer, attempts: Sequence[tuple[datetime, int | None, bool]],
                  now: datetime, default_zone: str) -> datetime | None:
    """The first moment (UTC, from ``now``) the compliance gate allows calling the customer back;
    None when only a change of data could (do not call, consent revoked). ``attempts``: the recent
    dial attempts as (requested_at, loan_id, conversation)."""
    history = tuple(Attempt(at=at, loan_id=None if loan_id is None else str(loan_id), conversation=conversation)
                    for at, loan_id, conversation in attempts)
    ctx = DialContext(
        now=now, channel="call", purpose="collections", timezone=customer_zone(customer.timezone, default_zone),
        consents=frozenset({ALT_CONTACTS_CONSENT}) if customer.alt_contacts_consent else frozenset(),
        do_not_call=customer.do_not_call, do_not_call_at=customer.do_not_call_at,
        call_consent_revoked_at=customer.call_consent_revoked_at, history=history)
    decision = check(pack, ctx)
    if isinstance(decision, Blocked):
        return decision.next_allowed_at
    return now
