"""The QA scoring rule (issue 22): a pure function from a scorecard's questions and the answers to
a score out of 100.

* A yes/no question earns its weight on "yes" and nothing on "no"; a scale question (0 to ``max``)
  earns ``weight * answer / max``.
* "na" (only where the question allows it) leaves the question out of the score AND out of the
  denominator: ``score = 100 * earned / (sum of the weights of the questions answered)``.
* An auto-fail question (yes/no, no weight, phrased as a failure) answered "yes" makes the score 0
  and marks the review auto-failed, whatever the other answers.
* Every question is answered (an N/A is an answer); a review where every weighted question is N/A
  has nothing to score and is refused, unless it auto-failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.errors import InvalidInput

Answer = str | int  # "yes", "no", "na", or a scale point 0..max
NA = "na"


class QuestionRule(Protocol):
    """What the rule needs of a question (config.lists.scorecards.Question has it)."""

    @property
    def code(self) -> str: ...
    @property
    def kind(self) -> str: ...  # "yes_no" or "scale"
    @property
    def max(self) -> int | None: ...
    @property
    def weight(self) -> float: ...
    @property
    def allow_na(self) -> bool: ...
    @property
    def auto_fail(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Scored:
    score: float  # 0..100, two decimals
    auto_failed: bool
    failed_questions: tuple[str, ...]  # the auto-fail questions answered yes
    earned: float
    possible: float  # the denominator: weights of the questions answered (not N/A)
    fractions: dict[str, float | None]  # weighted question -> 0..1 earned of its weight, None when N/A


def _check_one(question: QuestionRule, answer: object) -> str | None:
    """None when ``answer`` is valid for ``question``, else what is wrong with it (a sentence)."""
    if answer == NA:
        return None if question.allow_na else "this question cannot be answered N/A"
    if question.kind == "yes_no":
        return None if answer in ("yes", "no") else "answer yes or no" + (" or N/A" if question.allow_na else "")
    top = question.max or 0
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer <= top:
        return f"answer a whole number from 0 to {top}" + (" or N/A" if question.allow_na else "")
    return None


def check_answers(questions: Sequence[QuestionRule], answers: Mapping[str, object]) -> dict[str, Answer]:
    """The answers as stored, or InvalidInput naming each bad one as ``answers.<question>``."""
    errors: dict[str, str] = {}
    known = {q.code for q in questions}
    for code in answers:
        if code not in known:
            errors[f"answers.{code}"] = "not a question of this scorecard"
    for question in questions:
        if question.code not in answers:
            errors[f"answers.{question.code}"] = "answer this question"
            continue
        problem = _check_one(question, answers[question.code])
        if problem is not None:
            errors[f"answers.{question.code}"] = problem
    if errors:
        raise InvalidInput(f"{len(errors)} answer(s) to fix", errors)
    return {q.code: answers[q.code] for q in questions}  # type: ignore[misc]


def fraction(question: QuestionRule, answer: Answer) -> float | None:
    """The share of the question's weight that ``answer`` earns (0..1), None for N/A."""
    if answer == NA:
        return None
    if question.kind == "yes_no":
        return 1.0 if answer == "yes" else 0.0
    assert isinstance(answer, int) and question.max
    return answer / question.max


def score(questions: Sequence[QuestionRule], answers: Mapping[str, object]) -> Scored:
    """Check the answers and score them; InvalidInput when they are incomplete or wrong."""
    checked = check_answers(questions, answers)
    failed = tuple(q.code for q in questions if q.auto_fail and checked[q.code] == "yes")
    earned = possible = 0.0
    fractions: dict[str, float | None] = {}
    for question in questions:
        if question.auto_fail:
            continue
        share = fraction(question, checked[question.code])
        fractions[question.code] = share
        if share is not None and question.weight > 0:
            earned += question.weight * share
            possible += question.weight
    if failed:
        return Scored(0.0, True, failed, earned, possible, fractions)
    if possible == 0:
        raise InvalidInput("every weighted question was answered N/A: there is nothing to score",
                           {"answers": "answer at least one weighted question"})
    return Scored(round(100 * earned / possible, 2), False, (), earned, possible, fractions)
