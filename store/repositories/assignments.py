"""Assignment of accounts and campaigns to agents (seed 003), supervisor and admin only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import InvalidInput, NotFound
from domain.validation import assignable
from store.models import Campaign, CampaignAgent, Customer, Role, User


@dataclass(frozen=True, slots=True)
class CampaignView:
    campaign: Campaign
    agents: list[str]
    customers: int


class AssignmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def agent(self, username: str, field: str = "agent") -> User:
        user = await self.session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise InvalidInput(f"no active user {username!r}", {field: f"unknown user {username!r}"})
        return user

    async def assignee(self, username: str, field: str = "assignee") -> User:
        """An active agent or supervisor to give work to (a task, a promise); else InvalidInput."""
        user = await self.agent(username, field)
        try:
            assignable(user.role.value, user.username)
        except ValueError as exc:
            raise InvalidInput(str(exc), {field: str(exc)}) from exc
        return user

    async def owners(self, customer_ids: Sequence[int]) -> dict[int, str | None]:
        """Each customer's assigned agent's username (None: nobody), before an assignment moves them."""
        rows = await self.session.execute(select(Customer.id, User.username).outerjoin(
            User, User.id == Customer.assigned_agent_id).where(Customer.id.in_(list(customer_ids))))
        return {int(cid): name for cid, name in rows.tuples().all()}

    async def assign(self, customer_ids: Sequence[int], agent_id: int | None) -> list[int]:
        """Set (or clear) the assigned agent; returns the ids that exist (unknown ids are skipped)."""
        wanted = list(dict.fromkeys(customer_ids))
        found = list((await self.session.scalars(select(Customer.id).where(Customer.id.in_(wanted)))).all())
        if found:
            await self.session.execute(update(Customer).where(Customer.id.in_(found))
                                       .values(assigned_agent_id=agent_id))
        return sorted(found)

    async def set_campaign_agents(self, code: str, usernames: Sequence[str]) -> CampaignView:
        campaign = await self.session.scalar(select(Campaign).where(Campaign.code == code))
        if campaign is None:
            raise NotFound(f"no campaign {code!r}", {"code": code})
        users = [await self.agent(name, f"agents.{i}") for i, name in enumerate(dict.fromkeys(usernames))]
        for index, user in enumerate(users):
            if user.role not in (Role.AGENT, Role.SUPERVISOR):
                raise InvalidInput("only agents and supervisors take campaigns",
                                   {f"agents.{index}": f"{user.username!r} is {user.role.value}"})
        await self.session.execute(delete(CampaignAgent).where(CampaignAgent.campaign_id == campaign.id))
        self.session.add_all(CampaignAgent(campaign_id=campaign.id, user_id=u.id) for u in users)
        await self.session.flush()
        return (await self.campaigns(campaign.id))[0]

    async def campaigns(self, campaign_id: int | None = None) -> list[CampaignView]:
        query = select(Campaign).order_by(Campaign.code)
        if campaign_id is not None:
            query = query.where(Campaign.id == campaign_id)
        campaigns = list((await self.session.scalars(query)).all())
        ids = [c.id for c in campaigns]
        agents: dict[int, list[str]] = {i: [] for i in ids}
        rows = await self.session.execute(
            select(CampaignAgent.campaign_id, User.username).join(User, User.id == CampaignAgent.user_id)
            .where(CampaignAgent.campaign_id.in_(ids)).order_by(User.username))
        for campaign_id_, username in rows.tuples():
            agents[campaign_id_].append(username)
        counts = dict((await self.session.execute(
            select(Customer.campaign_id, func.count()).where(Customer.campaign_id.in_(ids))
            .group_by(Customer.campaign_id))).tuples().all())
        return [CampaignView(c, agents[c.id], int(counts.get(c.id, 0))) for c in campaigns]
