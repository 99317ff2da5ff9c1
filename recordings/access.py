"""Who may hear and download a recording (pure): supervisors and admins every recording; an agent
only the recordings of their own calls (anything else is "not found", so nothing leaks); only
supervisors and admins download."""

from __future__ import annotations

SUPERVISING = frozenset({"supervisor", "admin"})


def may_play(role: str, user_id: int, recording_agent_id: int | None, call_agent_id: int | None) -> bool:
    return role in SUPERVISING or user_id in (recording_agent_id, call_agent_id)


def may_download(role: str) -> bool:
    return role in SUPERVISING
