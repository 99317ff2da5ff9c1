"""The QA scoring rule (domain/qa_scoring.py): examples worked by hand, then properties against an
oracle in exact fractions over random scorecards and answers."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.qa_scoring import check_answers, score


@dataclass(frozen=True)
class Q:
    code: str
    kind: str = "yes_no"
    max: int | None = None
    weight: float = 1.0
    allow_na: bool = False
    auto_fail: bool = False


CARD = [Q("greeting", weight=10), Q("rpc", weight=20, allow_na=True), Q("negotiation", "scale", 4, 30),
        Q("courtesy", "scale", 5, 40, allow_na=True), Q("threat", weight=0, auto_fail=True)]


def test_worked_by_hand() -> None:
    # greeting yes 10/10, rpc no 0/20, negotiation 3/4 of 30 = 22.5, courtesy 5/5 of 40 = 40 -> 72.5 / 100
    answers = {"greeting": "yes", "rpc": "no", "negotiation": 3, "courtesy": 5, "threat": "no"}
    scored = score(CARD, answers)
    assert (scored.score, scored.auto_failed, scored.earned, scored.possible) == (72.5, False, 72.5, 100)
    assert scored.fractions == {"greeting": 1.0, "rpc": 0.0, "negotiation": 0.75, "courtesy": 1.0}


def test_na_is_left_out_of_the_denominator() -> None:
    # rpc and courtesy N/A: (10 + 22.5) / (10 + 30) = 81.25
    scored = score(CARD, {"greeting": "yes", "rpc": "na", "negotiation": 3, "courtesy": "na", "threat": "no"})
    assert (scored.score, scored.possible) == (81.25, 40)
    assert scored.fractions["rpc"] is None


def test_an_auto_fail_answered_yes_scores_zero() -> None:
    scored = score(CARD, {"greeting": "yes", "rpc": "yes", "negotiation": 4, "courtesy": 5, "threat": "yes"})
    assert (scored.score, scored.auto_failed, scored.failed_questions) == (0.0, True, ("threat",))


def test_bad_answers_are_named() -> None:
    with pytest.raises(InvalidInput) as bad:
        check_answers(CARD, {"greeting": "maybe", "rpc": 1, "negotiation": 5, "courtesy": True, "extra": "yes"})
    assert bad.value.details == {
        "answers.extra": "not a question of this scorecard",
        "answers.greeting": "answer yes or no",
        "answers.rpc": "answer yes or no or N/A",
        "answers.negotiation": "answer a whole number from 0 to 4",
        "answers.courtesy": "answer a whole number from 0 to 5 or N/A",
        "answers.threat": "answer this question",
    }
    with pytest.raises(InvalidInput) as na:
        check_answers(CARD, {"greeting": "na", "rpc": "na", "negotiation": 1, "courtesy": 1, "threat": "no"})
    assert na.value.details == {"answers.greeting": "this question cannot be answered N/A"}


def test_nothing_to_score_is_refused_unless_auto_failed() -> None:
    card = [Q("rpc", weight=20, allow_na=True), Q("threat", weight=0, auto_fail=True, allow_na=True)]
    with pytest.raises(InvalidInput) as refused:
        score(card, {"rpc": "na", "threat": "no"})
    assert refused.value.details == {"answers": "answer at least one weighted question"}
    assert score(card, {"rpc": "na", "threat": "yes"}).score == 0


@st.composite
def cards_and_answers(draw: st.DrawFn) -> tuple[list[Q], dict[str, str | int]]:
    count = draw(st.integers(1, 8))
    card: list[Q] = []
    answers: dict[str, str | int] = {}
    for index in range(count):
        auto = draw(st.booleans()) and index > 0
        kind = "yes_no" if auto else draw(st.sampled_from(["yes_no", "scale"]))
        top = draw(st.integers(1, 10)) if kind == "scale" else None
        weight = 0.0 if auto else float(draw(st.integers(0, 50)))
        question = Q(f"q{index}", kind, top, weight, draw(st.booleans()), auto)
        card.append(question)
        options: list[str | int] = ["yes", "no"] if kind == "yes_no" else list(range((top or 0) + 1))
        if question.allow_na:
            options.append("na")
        answers[question.code] = draw(st.sampled_from(options))
    return card, answers


def oracle(card: list[Q], answers: dict[str, str | int]) -> Fraction | None:
    if any(q.auto_fail and answers[q.code] == "yes" for q in card):
        return Fraction(0)
    earned = possible = Fraction(0)
    for q in card:
        answer = answers[q.code]
        if q.auto_fail or answer == "na" or q.weight == 0:
            continue
        share = Fraction(1 if answer == "yes" else 0) if q.kind == "yes_no" else Fraction(int(answer), q.max or 1)
        earned += Fraction(q.weight) * share
        possible += Fraction(q.weight)
    return None if possible == 0 else 100 * earned / possible


@settings(max_examples=300, deadline=None)
@given(cards_and_answers())
def test_the_score_matches_the_oracle(drawn: tuple[list[Q], dict[str, str | int]]) -> None:
    card, answers = drawn
    expected = oracle(card, answers)
    if expected is None:
        with pytest.raises(InvalidInput):
            score(card, answers)
        return
    scored = score(card, answers)
    assert scored.score == round(float(expected), 2)
    assert 0 <= scored.score <= 100
    assert scored.auto_failed == any(q.auto_fail and answers[q.code] == "yes" for q in card)


@settings(max_examples=200, deadline=None)
@given(cards_and_answers(), st.data())
def test_answering_na_never_changes_the_other_questions_share(drawn: tuple[list[Q], dict[str, str | int]],
                                                             data: st.DataObject) -> None:
    """Turning one allowed answer into N/A removes exactly that question from numerator and denominator."""
    card, answers = drawn
    candidates = [q for q in card if q.allow_na and not q.auto_fail and answers[q.code] != "na" and q.weight > 0]
    if not candidates or oracle(card, answers) is None:
        return
    question = data.draw(st.sampled_from(candidates))
    before = score(card, answers)
    rest = {**answers, question.code: "na"}
    if oracle(card, rest) is None:
        return
    after = score(card, rest)
    if not before.auto_failed:
        share = before.fractions[question.code] or 0.0
        assert after.possible == pytest.approx(before.possible - question.weight)
        assert after.earned == pytest.approx(before.earned - question.weight * share)
