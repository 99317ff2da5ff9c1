"""QA scoring of recorded calls (issue 22).

* ``GET /api/qa/to-score?week=`` (supervisors): the calls to score of the week holding ``week``
  (Monday to Sunday, centre time), picked by scorecards.yaml's ``selection`` (domain/qa_selection.py):
  N random recorded calls per agent, every disputed call, every long call, every call dialled after
  the compliance gate had held it. Calls already scored are left out.
* ``POST /api/qa/reviews`` (supervisors): score a recorded call against a scorecard (default: the
  list's default); the score follows domain/qa_scoring.py. One review per call and scorecard (409).
* ``GET /api/qa/reviews`` (everyone): supervisors see every review (``agent=``, ``from``/``to`` on
  the day scored, ``call_id=``); an agent only their own.
* ``GET /api/qa/reviews/{id}``: the review; another agent's is 404.
* ``POST /api/qa/reviews/{id}/acknowledge``: the agent scored says they have read it; anyone
  else's review is 404 to an agent, and a supervisor cannot acknowledge for the agent (403).
* ``GET /api/reports/qa`` (supervisors): per agent, per question, the auto-fails and the weekly trend
  over the reviews scored from ``from`` to ``to`` (local days); JSON for the supervisor's page, or one
  table as CSV (``format=csv&table=agents|questions|auto_fails|trend``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from agent_ui.deps import CurrentUser, Id, Limit, ServicesDep, SupervisorUser, current_user, unit_of_work
from agent_ui.qa_view import review_json
from agent_ui.routes.csv_export import csv_response
from agent_ui.routes.ranges import local_window
from agent_ui.routes.reports import CSV_TOO
from agent_ui.schemas.common import Day
from agent_ui.schemas.qa import QaReportOut, ReviewIn, ReviewOut, ToScoreListOut
from agent_ui.schemas.replies import Items
from agent_ui.services import Services
from domain.clock import day_range, local_today
from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from domain.events import utcnow
from domain.qa_scoring import score
from domain.qa_selection import REASON_SENTENCES, PickRules, pick_calls
from store.models import QaReview, Role, User
from store.repositories.qa import QaRepository, ReviewRow
from supervision.qa_report import qa_report

router = APIRouter(tags=["qa"], dependencies=[Depends(current_user)])
Since = Annotated[Day | None, Query(alias="from")]
Until = Annotated[Day | None, Query(alias="to")]
Username = Annotated[str | None, Query(max_length=64, pattern=r"^[\w.-]+$")]
NO_REVIEW = "no such review"
Table = Literal["agents", "questions", "auto_fails", "trend"]
COLUMNS: dict[str, tuple[str, ...]] = {
    "agents": ("agent", "agent_name", "reviews", "average_score", "auto_fails", "below_mark", "acknowledged"),
    "questions": ("scorecard", "section", "question", "label", "auto_fail", "answered", "not_applicable", "failed",
                  "average"),
    "auto_fails": ("review_id", "scored_at", "agent", "agent_name", "call_id", "customer_name", "failed"),
    "trend": ("week", "reviews", "average_score"),
}
MAX_REVIEWS = 50_000


def _supervising(user: User) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN)


@router.get("/api/qa/to-score", response_model=ToScoreListOut)
async def to_score(_user: SupervisorUser, services: ServicesDep,
                   week: Annotated[Day | None, Query()] = None) -> dict[str, Any]:
    tz = services.settings.timezone
    day = week or local_today(tz)
    monday = day - timedelta(days=day.weekday())
    start, end = day_range(monday, monday + timedelta(days=6), tz)
    rules = services.lists.scorecards.selection
    async with unit_of_work(services) as session:
        repo = QaRepository(session)
        calls = await repo.recorded_calls(start=start, end=end)
        candidates = await repo.candidates(calls, rules.dispute_reasons)
        reviewed = await repo.reviewed_calls([c.call.call_id for c in calls])
    picks = pick_calls(candidates, PickRules(
        per_agent=rules.random_per_agent_per_week, seed=rules.seed, min_talk_seconds=rules.min_talk_seconds,
        long_call_seconds=None if rules.long_call_minutes is None else rules.long_call_minutes * 60,
        disputes=bool(rules.dispute_reasons), blocked_then_retried=rules.blocked_then_retried), monday)
    by_id = {c.call.call_id: c for c in calls}
    items = []
    for pick in picks:
        if pick.call.call_id in reviewed:
            continue
        found = by_id[pick.call.call_id]
        items.append({"call_id": pick.call.call_id, "recording_id": found.recording_id, "agent": found.agent,
                      "agent_name": found.agent_name or found.agent, "customer_name": found.customer_name,
                      "started_at": pick.call.started_at.isoformat(), "talk_seconds": pick.call.talk_seconds,
                      "reasons": list(pick.reasons), "why": [REASON_SENTENCES[r] for r in pick.reasons]})
    return {"week": monday.isoformat(), "week_end": (monday + timedelta(days=6)).isoformat(), "items": items}


@router.post("/api/qa/reviews", response_model=ReviewOut, status_code=201)
async def create_review(body: ReviewIn, user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    lists = services.lists
    card = lists.scorecard(body.scorecard or lists.scorecards.default_scorecard)
    if card.retired:
        raise InvalidInput(f"the scorecard {card.label!r} is retired", {"scorecard": "retired: choose another"})
    unknown = sorted(set(body.question_comments) - {q.code for q in card.questions()})
    if unknown:
        raise InvalidInput("comments on questions that are not on the scorecard",
                           {f"question_comments.{code}": "not a question of this scorecard" for code in unknown})
    scored = score(card.questions(), body.answers)
    async with unit_of_work(services) as session:
        repo = QaRepository(session)
        call = await repo.recorded_call(body.call_id)
        if call is None or call.call.agent_id is None:
            raise NotFound("no recorded call with this id", {"call_id": "no stored recording of an agent's call"})
        if any(r.review.scorecard == card.code for r in await repo.listing(call_id=body.call_id)):
            raise Conflict("this call was already scored with this scorecard", {"call_id": "already scored"})
        review = QaReview(
            call_id=body.call_id, recording_id=call.recording_id, agent_id=call.call.agent_id, reviewer_id=user.id,
            scorecard=card.code, scorecard_version=card.version, scorecard_snapshot=card.model_dump(mode="json"),
            answers=dict(body.answers), question_comments={k: v for k, v in body.question_comments.items() if v},
            comments=body.comments or None, score=scored.score, auto_failed=scored.auto_failed,
            failed_questions=list(scored.failed_questions), scored_at=utcnow())
        session.add(review)
        await session.flush()
        review_id = review.id
    return review_json(await _row(services, review_id))


async def _row(services: Services, review_id: int) -> ReviewRow:
    async with unit_of_work(services) as session:
        row = await QaRepository(session).one(review_id)
    if row is None:
        raise NotFound(NO_REVIEW)
    return row


async def _visible(services: Services, user: User, review_id: int) -> ReviewRow:
    """The review if ``user`` may see it: supervisors any, an agent their own (else 404, as missing)."""
    row = await _row(services, review_id)
    if not _supervising(user) and row.review.agent_id != user.id:
        raise NotFound(NO_REVIEW)
    return row


@router.get("/api/qa/reviews", response_model=Items[ReviewOut])
async def list_reviews(user: CurrentUser, services: ServicesDep, agent: Username = None,
                       since: Since = None, until: Until = None, limit: Limit = 200,
                       call_id: Annotated[str | None, Query(max_length=80)] = None) -> dict[str, Any]:
    start = end = None
    if since is not None or until is not None:
        _since, _until, start, end = local_window(services, since, until, max_days=366)
    async with unit_of_work(services) as session:
        repo = QaRepository(session)
        agent_id: int | None = user.id
        if _supervising(user):
            agent_id = None if agent is None else (await repo.user_id(agent) or -1)
        rows = await repo.listing(agent_id=agent_id, start=start, end=end, call_id=call_id, limit=limit)
    return {"items": [review_json(row) for row in rows]}


@router.get("/api/qa/reviews/{review_id}", response_model=ReviewOut)
async def one_review(review_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return review_json(await _visible(services, user, review_id))


@router.post("/api/qa/reviews/{review_id}/acknowledge", response_model=ReviewOut)
async def acknowledge(review_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    row = await _visible(services, user, review_id)
    if row.review.agent_id != user.id:
        raise PermissionDenied("only the agent whose call was scored can acknowledge it",
                               {"review_id": "not your call"})
    if row.review.acknowledged_at is None:
        async with unit_of_work(services) as session:
            review = await session.get(QaReview, review_id)
            assert review is not None
            review.acknowledged_at = utcnow()
    return review_json(await _row(services, review_id))



@router.get("/api/reports/qa", tags=["reports"], response_model=QaReportOut, responses=CSV_TOO)
async def quality_report(_user: SupervisorUser, services: ServicesDep, since: Since = None, until: Until = None,
                         agent: Username = None, format: Literal["json", "csv"] = "json",
                         table: Table = "agents") -> dict[str, Any] | Response:
    since, until, start, end = local_window(services, since, until, default_days=27, max_days=366)
    async with unit_of_work(services) as session:
        repo = QaRepository(session)
        agent_id = None if agent is None else (await repo.user_id(agent) or -1)
        rows = await repo.listing(agent_id=agent_id, start=start, end=end, limit=MAX_REVIEWS)
    report = qa_report(rows, services.settings.timezone)
    if format == "csv":
        return csv_response(COLUMNS[table], report[table], f"qa-{table}-{since}-{until}.csv")
    return {"from": since.isoformat(), "to": until.isoformat(), **report}
