"""Phone lines (which agent has a browser phone, its current digest, its registration) and the
controls used on calls (hold, transfers, recording pauses) for the call log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.in_list import in_list
from store.models import CallAction, PhoneKind, PhoneLine, User, utcnow


@dataclass(frozen=True, slots=True)
class ProvisionedLine:
    """One browser phone as the PBX must know it."""

    username: str
    display_name: str
    sip_user: str
    password_digest: str | None


class PhoneLineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def line_of(self, user_id: int) -> PhoneLine | None:
        return (await self.session.execute(
            select(PhoneLine).where(PhoneLine.user_id == user_id))).scalar_one_or_none()

    async def by_sip_user(self, sip_user: str) -> PhoneLine | None:
        return (await self.session.execute(
            select(PhoneLine).where(PhoneLine.sip_user == sip_user))).scalar_one_or_none()

    async def set_kind(self, user: User, kind: PhoneKind, sip_user: str | None) -> PhoneLine:
        """Declare the user's phone (flushed); a change of endpoint forgets the old digest."""
        line = await self.line_of(user.id)
        if line is None:
            line = PhoneLine(user_id=user.id, kind=kind, sip_user=sip_user, registered=False)
            self.session.add(line)
        else:
            if line.sip_user != sip_user or kind is not PhoneKind.WEBRTC:
                line.password_digest, line.registered, line.registration_status = None, False, None
            line.kind, line.sip_user = kind, sip_user
        await self.session.flush()
        return line

    async def set_digest(self, line: PhoneLine, digest: str | None) -> None:
        line.password_digest = digest
        line.secret_rotated_at = utcnow()
        await self.session.flush()

    async def set_registration(self, sip_user: str, registered: bool, status: str, at: datetime) -> bool:
        """Record the PBX's view of a browser phone; False when no line has this endpoint."""
        result = await self.session.execute(
            update(PhoneLine).where(PhoneLine.sip_user == sip_user, PhoneLine.kind == PhoneKind.WEBRTC)
            .values(registered=registered, registration_status=status[:32], registration_at=at))
        return bool(getattr(result, "rowcount", 0))

    async def provisioned(self) -> list[ProvisionedLine]:
        """Every browser phone of an active user, by endpoint name (what the PBX include holds)."""
        rows = await self.session.execute(
            select(User.username, User.display_name, PhoneLine.sip_user, PhoneLine.password_digest)
            .join(PhoneLine, PhoneLine.user_id == User.id)
            .where(User.active.is_(True), PhoneLine.kind == PhoneKind.WEBRTC, PhoneLine.sip_user.is_not(None))
            .order_by(PhoneLine.sip_user))
        return [ProvisionedLine(username, display, sip_user, digest) for username, display, sip_user, digest in rows
                if sip_user]

    async def lines(self) -> dict[int, PhoneLine]:
        return {line.user_id: line for line in (await self.session.scalars(select(PhoneLine))).all()}


_FOR_CALLS = select(CallAction).where(in_list(CallAction.call_id, "call_ids")).order_by(CallAction.at, CallAction.id)


class CallActionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, call_id: str, action: str, *, actor_id: int | None, target: str | None = None,
            outcome: str = "done", request_id: str | None = None,
            details: Mapping[str, Any] | None = None) -> CallAction:
        row = CallAction(call_id=call_id, action=action, actor_id=actor_id, target=target, outcome=outcome,
                         request_id=request_id, details=dict(details or {}), at=utcnow())
        self.session.add(row)
        return row

    async def settle(self, request_id: str, ok: bool, message: str | None) -> CallAction | None:
        """The PBX answered the command ``request_id``: done or failed (with its reason)."""
        row = (await self.session.execute(
            select(CallAction).where(CallAction.request_id == request_id))).scalar_one_or_none()
        if row is None or row.outcome != "requested":
            return row
        row.outcome = "done" if ok else "failed"
        if message:
            row.details = {**row.details, "message": message[:300]}
        return row

    async def for_calls(self, call_ids: Sequence[str]) -> dict[str, list[CallAction]]:
        if not call_ids:
            return {}
        rows = (await self.session.scalars(_FOR_CALLS, {"call_ids": list(call_ids)})).all()
        out: dict[str, list[CallAction]] = {}
        for row in rows:
            out.setdefault(row.call_id, []).append(row)
        return out
