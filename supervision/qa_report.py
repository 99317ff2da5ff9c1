"""The QA report (issue 22) over the reviews scored in a date range: per agent, per question, the
auto-fails and the weekly trend.

* ``agents``: reviews, the average score (an auto-failed review counts as its score, 0), the
  auto-fails, the reviews under the scorecard's pass mark, the reviews acknowledged.
* ``questions``: per scorecard question, from each review's own copy of the scorecard: how often it
  was answered and N/A, and the average share of its weight earned (0-100, N/A left out); for an
  auto-fail question, how often it failed the call.
* ``auto_fails``: each auto-failed review with the questions that failed it.
* ``trend``: per local week (starting Monday): reviews and average score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.qa_scoring import fraction
from store.repositories.qa import ReviewRow


def _average(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


@dataclass(frozen=True, slots=True)
class SnapQuestion:
    """A question as the review's scorecard copy has it (what domain.qa_scoring needs, and labels)."""

    code: str
    label: str
    section: str
    kind: str
    max: int | None
    weight: float
    allow_na: bool
    auto_fail: bool


def snapshot_questions(snapshot: dict[str, Any]) -> list[SnapQuestion]:
    return [SnapQuestion(code=q["code"], label=q["label"], section=s["label"], kind=q.get("kind", "yes_no"),
                         max=q.get("max"), weight=float(q.get("weight", 1.0)), allow_na=bool(q.get("allow_na")),
                         auto_fail=bool(q.get("auto_fail")))
            for s in snapshot.get("sections", []) for q in s.get("questions", [])]


@dataclass(slots=True)
class _QuestionFigures:
    scorecard: str
    section: str
    label: str
    auto_fail: bool
    answered: int = 0
    not_applicable: int = 0
    failed: int = 0
    shares: list[float] = field(default_factory=list)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def qa_report(rows: Iterable[ReviewRow], timezone: str) -> dict[str, list[dict[str, Any]]]:
    zone = ZoneInfo(timezone)
    agents: dict[str, dict[str, Any]] = {}
    scores: dict[str, list[float]] = defaultdict(list)
    questions: dict[tuple[str, str], _QuestionFigures] = {}
    weeks: dict[date, list[float]] = defaultdict(list)
    auto_fails: list[dict[str, Any]] = []
    for row in rows:
        review = row.review
        figures = agents.setdefault(row.agent, {"agent": row.agent, "agent_name": row.agent_name or row.agent,
                                                "reviews": 0, "auto_fails": 0, "below_mark": 0, "acknowledged": 0})
        figures["reviews"] += 1
        figures["auto_fails"] += int(review.auto_failed)
        figures["below_mark"] += int(review.score < float(review.scorecard_snapshot.get("pass_mark", 80)))
        figures["acknowledged"] += int(review.acknowledged_at is not None)
        scores[row.agent].append(review.score)
        weeks[week_of(review.scored_at.astimezone(zone).date())].append(review.score)
        labels = {}
        for question in snapshot_questions(review.scorecard_snapshot):
            labels[question.code] = question.label
            key = (review.scorecard, question.code)
            card_label = str(review.scorecard_snapshot.get("label", review.scorecard))
            q = questions.setdefault(key, _QuestionFigures(card_label, question.section, question.label,
                                                           question.auto_fail))
            answer = review.answers.get(question.code)
            if answer is None:
                continue
            if answer == "na":
                q.not_applicable += 1
                continue
            q.answered += 1
            if question.auto_fail:
                q.failed += int(answer == "yes")
            else:
                share = fraction(question, answer)
                if share is not None:
                    q.shares.append(100 * share)
        if review.auto_failed:
            auto_fails.append({"review_id": review.id, "scored_at": review.scored_at.isoformat(), "agent": row.agent,
                               "agent_name": row.agent_name or row.agent, "call_id": review.call_id,
                               "customer_name": row.customer_name,
                               "failed": [labels.get(code, code) for code in review.failed_questions]})
    agent_items = [{**figures, "average_score": _average(scores[name])} for name, figures in sorted(agents.items())]
    question_items = [{"scorecard": key[0], "scorecard_label": q.scorecard, "question": key[1], "section": q.section,
                       "label": q.label, "auto_fail": q.auto_fail, "answered": q.answered,
                       "not_applicable": q.not_applicable, "failed": q.failed if q.auto_fail else None,
                       "average": None if q.auto_fail else _average(q.shares)}
                      for key, q in questions.items()]
    trend = [{"week": week.isoformat(), "reviews": len(values), "average_score": _average(values)}
             for week, values in sorted(weeks.items())]
    return {"agents": agent_items, "questions": question_items, "auto_fails": auto_fails, "trend": trend}
