"""Sessions: a user's sign-in tokens were ended (every worker closes that user's open sockets)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.events.base import Event


@dataclass(frozen=True, kw_only=True)
class SessionsRevoked(Event, type_name="account.sessions_revoked"):
    """Every token of ``user_id`` issued below ``token_version`` is dead (``reason``: sign-out,
    password, role, deactivated)."""

    user_id: int
    username: str
    token_version: int
    reason: str
