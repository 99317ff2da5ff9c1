"""Request and response schemas of QA scoring (issue 22): reviews, the calls to score, the report."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from agent_ui.schemas.common import LongText, Str64, Str80
from agent_ui.schemas.records import IsoDay, IsoTime, Out
from domain.qa_selection import PickReason

AnswerIn = Literal["yes", "no", "na"] | Annotated[StrictInt, Field(ge=0, le=10)]
QuestionCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: Str80 = Field(min_length=1)
    scorecard: Str64 | None = None  # None: the list's default scorecard
    answers: dict[QuestionCode, AnswerIn] = Field(max_length=200)
    question_comments: dict[QuestionCode, Annotated[str, StringConstraints(max_length=2000)]] = Field(
        default_factory=dict, max_length=200)
    comments: LongText | None = None


class ReviewLineOut(Out):
    section: str
    question: str
    label: str
    answer: str | int | None
    answer_text: str = Field(description="the answer in words: Yes, No, Not applicable, 3 of 5")
    auto_fail: bool
    failed: bool = Field(description="an auto-fail question answered yes")
    comment: str | None


class ReviewOut(Out):
    id: int
    call_id: str
    recording_id: int | None
    agent: str
    agent_name: str
    reviewer: str
    reviewer_name: str
    customer_name: str | None
    call_started_at: IsoTime | None
    talk_seconds: int | None
    scorecard: str
    scorecard_label: str
    scorecard_version: int
    pass_mark: float
    score: float
    passed: bool
    auto_failed: bool
    failed_questions: list[str] = Field(description="labels of the auto-fail questions answered yes")
    answers: dict[str, str | int]
    lines: list[ReviewLineOut]
    comments: str | None
    scored_at: IsoTime
    acknowledged_at: IsoTime | None


class ToScoreOut(Out):
    call_id: str
    recording_id: int
    agent: str
    agent_name: str
    customer_name: str | None
    started_at: IsoTime
    talk_seconds: int | None
    reasons: list[PickReason]
    why: list[str] = Field(description="the reasons in words")


class ToScoreListOut(Out):
    week: IsoDay
    week_end: IsoDay
    items: list[ToScoreOut]


class QaAgentOut(Out):
    agent: str
    agent_name: str
    reviews: int
    average_score: float | None
    auto_fails: int
    below_mark: int
    acknowledged: int


class QaQuestionOut(Out):
    scorecard: str
    scorecard_label: str
    question: str
    section: str
    label: str
    auto_fail: bool
    answered: int
    not_applicable: int
    failed: int | None
    average: float | None = Field(description="average share of the weight earned, 0-100 (N/A left out)")


class QaAutoFailOut(Out):
    review_id: int
    scored_at: IsoTime
    agent: str
    agent_name: str
    call_id: str
    customer_name: str | None
    failed: list[str]


class QaWeekOut(Out):
    week: IsoDay
    reviews: int
    average_score: float | None


class QaReportOut(Out):
    from_: IsoDay = Field(alias="from")
    to: IsoDay
    agents: list[QaAgentOut]
    questions: list[QaQuestionOut]
    auto_fails: list[QaAutoFailOut]
    trend: list[QaWeekOut]
