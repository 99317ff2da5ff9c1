"""JSON shapes of recordings and of what the call log adds to a call (its controls and recordings):
what the desk's player and call log read (see :mod:`agent_ui.schemas.phone`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from recordings.access import may_download, may_play
from store.models import CallAction, User
from store.repositories.phone import CallActionRepository
from store.repositories.recordings import RecordingRepository, RecordingRow

MAX_RECORDINGS_PER_CALL = 10  # a call has one per leg recorded (a transfer adds one)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def recording_json(row: RecordingRow, viewer: User) -> dict[str, Any]:
    rec, call = row.recording, row.call
    return {
        "id": rec.id, "call_id": rec.call_id, "carrier": rec.carrier, "status": rec.status.value,
        "started_at": _iso(rec.started_at), "stored_at": _iso(rec.stored_at), "duration_ms": rec.duration_ms,
        "size_bytes": rec.size_bytes, "sha256": rec.sha256, "paused": rec.paused, "agent": row.agent,
        "customer_id": call.customer_id if call else None, "customer_name": row.customer_name,
        "direction": call.direction if call else None, "caller_number": call.caller_number if call else None,
        "can_download": may_download(viewer.role.value) and rec.status.value == "stored",
    }


def action_json(action: CallAction) -> dict[str, Any]:
    return {"at": _iso(action.at), "action": action.action, "target": action.target, "outcome": action.outcome,
            "message": action.details.get("message")}


@dataclass(frozen=True, slots=True)
class CallExtras:
    """What the call log adds to each call of a page: the controls used on it and its recordings."""

    actions: dict[str, list[CallAction]] = field(default_factory=dict)
    recordings: dict[str, list[RecordingRow]] = field(default_factory=dict)

    def of(self, call_id: str, call_agent_id: int | None, viewer: User) -> dict[str, Any]:
        """The call's ``actions`` and the ``recordings`` the viewer may play (never deleted ones:
        :meth:`RecordingRepository.listing` leaves them out)."""
        visible = [r for r in self.recordings.get(call_id, [])
                   if may_play(viewer.role.value, viewer.id, r.recording.agent_id, call_agent_id)]
        return {"actions": [action_json(a) for a in self.actions.get(call_id, [])],
                "recordings": [recording_json(r, viewer) for r in visible]}


async def call_extras(session: AsyncSession, call_ids: Sequence[str]) -> CallExtras:
    if not call_ids:
        return CallExtras()
    actions = await CallActionRepository(session).for_calls(call_ids)
    recordings: dict[str, list[RecordingRow]] = {}
    for row in await RecordingRepository(session).for_calls(call_ids, MAX_RECORDINGS_PER_CALL * len(call_ids)):
        recordings.setdefault(row.recording.call_id, []).append(row)
    return CallExtras(actions, recordings)
