"""What the API answers for a QA review (issue 22): the review with each question in words."""

from __future__ import annotations

from typing import Any

from store.repositories.qa import ReviewRow
from supervision.qa_report import SnapQuestion, snapshot_questions


def answer_text(question: SnapQuestion, answer: object) -> str:
    if answer is None:
        return "Not answered"
    if answer == "na":
        return "Not applicable"
    if question.kind == "yes_no":
        return "Yes" if answer == "yes" else "No"
    return f"{answer} of {question.max}"


def review_json(row: ReviewRow) -> dict[str, Any]:
    review, snapshot = row.review, row.review.scorecard_snapshot
    comments = review.question_comments or {}
    questions = snapshot_questions(snapshot)
    labels = {q.code: q.label for q in questions}
    lines = [{"section": q.section, "question": q.code, "label": q.label, "answer": review.answers.get(q.code),
              "answer_text": answer_text(q, review.answers.get(q.code)), "auto_fail": q.auto_fail,
              "failed": q.auto_fail and review.answers.get(q.code) == "yes", "comment": comments.get(q.code)}
             for q in questions]
    pass_mark = float(snapshot.get("pass_mark", 80))
    call = row.call
    started = (call.answered_at or call.offered_at) if call is not None else None
    return {
        "id": review.id, "call_id": review.call_id, "recording_id": review.recording_id,
        "agent": row.agent, "agent_name": row.agent_name or row.agent,
        "reviewer": row.reviewer, "reviewer_name": row.reviewer_name or row.reviewer,
        "customer_name": row.customer_name, "call_started_at": started.isoformat() if started else None,
        "talk_seconds": call.talk_seconds if call is not None else None,
        "scorecard": review.scorecard, "scorecard_label": str(snapshot.get("label", review.scorecard)),
        "scorecard_version": review.scorecard_version, "pass_mark": pass_mark, "score": review.score,
        "passed": not review.auto_failed and review.score >= pass_mark, "auto_failed": review.auto_failed,
        "failed_questions": [labels.get(code, code) for code in review.failed_questions],
        "answers": dict(review.answers), "lines": lines, "comments": review.comments,
        "scored_at": review.scored_at.isoformat(),
        "acknowledged_at": review.acknowledged_at.isoformat() if review.acknowledged_at else None,
    }
