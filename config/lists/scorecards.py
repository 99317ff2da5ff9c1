"""scorecards.yaml: the QA scorecards supervisors score recorded calls with, and the rules that pick
the calls to score (issue 22, quality scoring).

A scorecard has sections of questions. A question is ``yes_no`` or ``scale`` (0 to ``max``), may
allow N/A, and carries a weight (its share of the score). An ``auto_fail`` question is a yes/no
question phrased as a failure ("Threatened the customer"): answered yes, the call scores 0 whatever
the rest. Question codes are unique in their scorecard (answers are keyed by them). ``version`` is
raised by the admin when the questions change; each review keeps a copy of the scorecard it used.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config.lists.common import Code, Item, ListModel, Unique, find

QuestionKind = Literal["yes_no", "scale"]


class Question(Item):
    kind: QuestionKind = "yes_no"
    max: int | None = Field(default=None, ge=1, le=10)  # scale questions: answers 0..max
    weight: float = Field(default=1.0, ge=0, le=100)
    allow_na: bool = False
    auto_fail: bool = False
    help: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _kind_rules(self) -> Question:
        if self.kind == "scale" and self.max is None:
            raise ValueError(f"the scale question {self.code!r} needs a max (answers run 0 to max)")
        if self.kind == "yes_no" and self.max is not None:
            raise ValueError(f"the yes/no question {self.code!r} cannot have a max")
        if self.auto_fail and self.kind != "yes_no":
            raise ValueError(f"the auto-fail question {self.code!r} must be yes/no (yes fails the call)")
        if self.auto_fail and self.weight != 0:
            raise ValueError(f"the auto-fail question {self.code!r} carries no weight (set 0): "
                             "it fails the whole call instead")
        return self


class Section(Item):
    questions: Unique[Question] = Field(min_length=1)


class Scorecard(Item):
    version: int = Field(default=1, ge=1)
    description: str = Field(default="", max_length=1000)
    pass_mark: float = Field(default=80, ge=0, le=100)  # a score under it is shown as below the mark
    retired: bool = False  # kept so old reviews stay readable; not offered for new reviews
    sections: Unique[Section] = Field(min_length=1)

    @model_validator(mode="after")
    def _questions_unique_and_weighted(self) -> Scorecard:
        seen: dict[str, str] = {}
        for s_index, section in enumerate(self.sections):
            for q_index, question in enumerate(section.questions):
                if question.code in seen:
                    raise ValueError(f"sections.{s_index}.questions.{q_index}.code: question {question.code!r} "
                                     f"is already in section {seen[question.code]!r} (codes are unique per scorecard)")
                seen[question.code] = section.code
        if not any(q.weight > 0 for q in self.questions()):
            raise ValueError(f"the scorecard {self.code!r} needs at least one question with a weight")
        return self

    def questions(self) -> list[Question]:
        return [q for section in self.sections for q in section.questions]

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions() if q.code == code), None)


class Selection(ListModel):
    """Which calls are put in the supervisors' list of calls to score, per week (Monday to Sunday)."""

    random_per_agent_per_week: int = Field(default=2, ge=0, le=100)
    seed: int = Field(default=22, ge=0)  # the random pick is the same for a seed, a week and the same calls
    long_call_minutes: float | None = Field(default=15, gt=0, le=600)  # None: the rule is off
    dispute_reasons: list[Code] = Field(default_factory=lambda: ["dispute"])  # disposition reason codes
    blocked_then_retried: bool = True  # calls dialled after the compliance gate had held the task
    min_talk_seconds: int = Field(default=30, ge=0, le=3600)  # shorter calls are not picked at random


class ScorecardLists(ListModel):
    default_scorecard: Code
    selection: Selection = Selection()
    scorecards: Unique[Scorecard] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_exists(self) -> ScorecardLists:
        card = find(self.scorecards, self.default_scorecard)
        if card is None:
            raise ValueError(f"unknown scorecard {self.default_scorecard!r}")
        if card.retired:
            raise ValueError(f"the scorecard {self.default_scorecard!r} is retired")
        return self


__all__ = ["Question", "QuestionKind", "Scorecard", "ScorecardLists", "Section", "Selection"]
