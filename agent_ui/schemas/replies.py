"""Response schemas of the other routes: sign-in, lists, reports, agents and the wallboard, assignment,
the dialer, the config lists, and the one error body. See :mod:`agent_ui.schemas.records`."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import Field

from agent_ui.schemas.dialer_why import QueueWhyOut
from agent_ui.schemas.records import (
    ApprovalState,
    AttachmentOut,
    ContactOut,
    CustomerOut,
    InteractionOut,
    IsoDay,
    IsoTime,
    LoanOut,
    MoneyText,
    Out,
    PromiseOut,
    RoleName,
    TaskOut,
    TransactionOut,
    UserOut,
)
from config.lists.ivr_menu import IvrMenu
from config.lists.models import (
    DialerConfig,
    DispositionTree,
    FollowupLists,
    NoteLists,
    PauseCodes,
    ReasonLists,
    TemplateLists,
)
from config.lists.scorecards import ScorecardLists
from domain.events import AgentState

T = TypeVar("T")
AgentStateName = Literal[AgentState.LOGGED_OUT, AgentState.READY, AgentState.PAUSED, AgentState.RINGING,
                         AgentState.ON_CALL, AgentState.WRAP_UP]


class ErrorOut(Out):
    """Every error: a stable id, a sentence for a person, and the fields concerned."""

    error_id: str = Field(examples=["validation-failed"])
    message: str
    details: dict[str, Any]


class LoginOut(Out):
    token: str
    token_type: Literal["bearer"]
    expires_at: IsoTime
    user: UserOut


class WsTicketOut(Out):
    """A single-use ticket for ``/ws?ticket=``: valid for ``expires_in`` seconds, once."""

    ticket: str
    expires_in: int


class OkOut(Out):
    ok: bool


class HealthOut(Out):
    status: Literal["ok"]
    database: Literal["ok"]


class FeaturesOut(Out):
    """What this server offers, so a page shows only what works (its routes are fixed by the settings)."""

    dialer: bool = Field(description="the dialer's routes (queue preview, click-to-call, supervisor controls)")


class Items(Out, Generic[T]):
    items: list[T]


class Page(Out, Generic[T]):
    items: list[T]
    limit: int
    offset: int


class ConfigListsOut(Out):
    """Every editable list, by name (each in its own schema)."""

    dispositions: DispositionTree
    followup: FollowupLists
    notes: NoteLists
    reasons: ReasonLists
    pause_codes: PauseCodes
    templates: TemplateLists
    dialer: DialerConfig
    ivr: IvrMenu
    scorecards: ScorecardLists


# One list: whichever of the list models its name says (the schemas tell them apart by their keys).
ConfigListOut = (DispositionTree | FollowupLists | NoteLists | ReasonLists | PauseCodes | TemplateLists | DialerConfig
                 | IvrMenu | ScorecardLists)


class NoteGroupOut(Out):
    key: str
    label: str | None
    count: int
    notes: list[InteractionOut]


class NotesReportOut(Out):
    by: Literal["type", "operator", "customer"]
    from_: IsoDay = Field(alias="from")
    to: IsoDay
    groups: list[NoteGroupOut]


class AgentFiguresOut(Out):
    agent: str
    calls: int
    talk_seconds: int
    promises: int
    kept_rate: float | None


class AgentsReportOut(Out):
    from_: IsoDay = Field(alias="from")
    to: IsoDay
    items: list[AgentFiguresOut]


class CollectionFiguresOut(Out):
    group: str | None
    outstanding: MoneyText | None
    overdue: MoneyText | None
    collected: MoneyText | None
    efficiency: float | None


class CollectionsReportOut(Out):
    by: Literal["campaign", "agent"]
    from_: IsoDay = Field(alias="from")
    to: IsoDay
    currency: str  # the money fields' currency (the settings' ISO code)
    items: list[CollectionFiguresOut]


class AgentViewOut(Out):
    username: str
    display_name: str
    role: RoleName
    device: str | None
    queues: list[str]
    state: AgentStateName
    reason: str | None
    since: IsoTime
    call_id: str | None
    wrapup_until: IsoTime | None


class QueueFiguresOut(Out):
    queue: str
    waiting: int
    longest_wait_seconds: int
    answered: int
    abandoned: int
    abandon_rate: float
    service_level: float


class PromisesTodayOut(Out):
    day: IsoDay  # the centre's local day these figures are for
    count: int  # promises DUE today (seed 002's follow-up view), cancelled ones aside
    amount: MoneyText
    made: int  # promises taken today, whatever their due date
    made_amount: MoneyText
    kept: int  # promises a payment kept today (M-Pesa or the core system)
    kept_amount: MoneyText


class WallboardOut(Out):
    at: IsoTime
    seq: int
    queues: list[QueueFiguresOut]
    agents: list[AgentViewOut]
    promises_today: PromisesTodayOut
    service_level_seconds: int


class AssigneeOut(Out):
    customer_id: int
    assigned_agent: str | None


class BulkAssignmentOut(Out):
    assigned: list[int]
    not_found: list[int]
    agent: str | None


class CampaignOut(Out):
    code: str
    name: str
    carrier: str
    queue: str | None
    active: bool
    agents: list[str]
    customers: int


class CallOut(Out):
    call_id: str | None  # None: nothing was dialled (the preview is no longer yours, or a rule said no)


class LineOut(Out):
    """GET /api/dialer/line: whether the agent can place calls (issue 15 item 5)."""

    ok: bool
    carrier: Literal["asterisk", "twilio"] | None
    extension: str | None
    reason: str | None  # why not, as a sentence; None when ok


class MovedTaskOut(Out):
    task_id: int
    status: Literal["queued"]
    next_eligible_at: IsoTime
    owner: str
    owner_until: IsoTime
    comment: str | None


class QueuedTaskOut(Out):
    task_id: int


class CampaignAgentOut(Out):
    username: str
    state: str


class CampaignStatusOut(Out):
    campaign: str
    state: str
    ready_agents: list[str]
    agents: list[CampaignAgentOut]
    eligible_tasks: int
    eligible_checked: int
    dialable_now: int
    blocked_now: dict[str, int]
    held_by_rule: dict[str, int]
    scheduled_later: int
    previewing: int
    calls_in_progress: int
    waiting_outcome: int
    escalated: int
    tasks_by_status: dict[str, int]
    why: QueueWhyOut  # the same answer the agent's empty "Calls to make" gives


class DialerStatusOut(Out):
    campaigns: list[CampaignStatusOut]


class ApprovalOut(Out):
    id: int
    agent: str
    number: str
    customer_id: int | None
    customer_name: str | None
    reason: str
    status: ApprovalState
    requested_at: IsoTime
    decided_at: IsoTime | None
    expires_at: IsoTime | None


class ApprovalsOut(Out):
    approvals: list[ApprovalOut]


__all__ = [
    "AgentFiguresOut", "AgentViewOut", "AgentsReportOut", "ApprovalOut", "ApprovalsOut", "AssigneeOut",
    "AttachmentOut", "BulkAssignmentOut", "CallOut", "CampaignOut", "CollectionsReportOut", "ConfigListOut",
    "ConfigListsOut", "ContactOut", "CustomerOut", "DialerStatusOut", "ErrorOut", "HealthOut", "Items",
    "LoanOut", "LoginOut", "MovedTaskOut", "NotesReportOut", "OkOut", "Page", "PromiseOut", "QueuedTaskOut",
    "TaskOut", "TransactionOut", "WallboardOut",
]
