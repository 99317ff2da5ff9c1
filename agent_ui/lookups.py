"""Checks of customer fields against the editable lists, shared by the customer and assignment routes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.services import Services
from domain.errors import InvalidInput
from store.models import Campaign


def check_client_status(services: Services, value: str | None) -> None:
    codes = [s.code for s in services.lists.followup.client_statuses]
    if value is not None and value not in codes:
        raise InvalidInput(f"unknown client status {value!r}",
                           {"status": f"expected one of: {', '.join(codes)}"})


async def ensure_campaign(session: AsyncSession, services: Services, code: str | None,
                          field: str = "campaign") -> int | None:
    """The id of a campaign stored, or defined in dialer.yaml (stored on first use); 422 if unknown."""
    if code is None:
        return None
    found = await session.scalar(select(Campaign.id).where(Campaign.code == code))
    if found is not None:
        return found
    defined = {c.code: c for c in services.lists.dialer.campaigns}
    if code not in defined:
        raise InvalidInput(f"unknown campaign {code!r}", {field: f"expected one of: {', '.join(defined)}"})
    row = Campaign(code=code, name=defined[code].label)
    session.add(row)
    await session.flush()
    return row.id
