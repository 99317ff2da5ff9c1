"""scorecards.yaml: the shipped scorecard loads, and bad scorecards are refused with the field named
(auto-fail rules, weights, N/A, scale questions, unique codes, the dispute reasons resolving)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config.lists import load_lists, save_list
from config.lists.files import load_model
from config.lists.scorecards import ScorecardLists
from domain.errors import ConfigError, InvalidInput
from tests.config.helpers import copy_defaults, replace_in


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return copy_defaults(tmp_path)


def test_the_default_collections_scorecard(config_dir: Path) -> None:
    lists = load_lists(config_dir)
    card = lists.scorecard(lists.scorecards.default_scorecard)
    assert card.label == "Collections call"
    assert [s.code for s in card.sections] == ["opening", "conversation", "close", "compliance"]
    auto = {q.code: q.label for q in card.questions() if q.auto_fail}
    assert auto == {"threatened_customer": "Threatened the customer",
                    "third_party_disclosure": "Disclosed the debt to a third party",
                    "abusive_language": "Used abusive or obscene language"}
    assert {"right_party_check", "disclosure", "negotiation", "promise_captured", "greeting"} <= {
        q.code for q in card.questions()}
    assert sum(q.weight for q in card.questions()) == 100
    assert lists.scorecards.selection.dispute_reasons == ["dispute"]
    assert lists.dump_list("scorecards")["scorecards"][0]["code"] == "collections_call"


def _edit(config_dir: Path, change: Any) -> dict[str, str]:
    data = load_lists(config_dir).dump_list("scorecards")
    change(data)
    with pytest.raises(InvalidInput) as refused:
        save_list(config_dir, "scorecards", data)
    return {str(k): str(v) for k, v in refused.value.details.items()}


def _question(data: dict[str, Any], section: int, question: int) -> dict[str, Any]:
    found: dict[str, Any] = data["scorecards"][0]["sections"][section]["questions"][question]
    return found


def test_an_auto_fail_question_must_be_yes_no_without_weight(config_dir: Path) -> None:
    before = (config_dir / "scorecards.yaml").read_text()

    def weighted(data: dict[str, Any]) -> None:
        _question(data, 3, 0)["weight"] = 5

    details = _edit(config_dir, weighted)
    assert list(details) == ["scorecards.0.sections.3.questions.0"]
    assert "carries no weight" in details["scorecards.0.sections.3.questions.0"]

    def scaled(data: dict[str, Any]) -> None:
        _question(data, 3, 1).update(kind="scale", max=5)

    details = _edit(config_dir, scaled)
    assert "must be yes/no" in details["scorecards.0.sections.3.questions.1"]
    assert (config_dir / "scorecards.yaml").read_text() == before  # nothing written


def test_weights_scales_and_na(config_dir: Path) -> None:
    def negative(data: dict[str, Any]) -> None:
        _question(data, 0, 0)["weight"] = -1

    assert _edit(config_dir, negative)["scorecards.0.sections.0.questions.0.weight"] == "must be 0 or more"

    def no_weight(data: dict[str, Any]) -> None:
        for section in data["scorecards"][0]["sections"]:
            for question in section["questions"]:
                question["weight"] = 0

    assert "at least one question with a weight" in _edit(config_dir, no_weight)["scorecards.0"]

    def scale_without_max(data: dict[str, Any]) -> None:
        del _question(data, 1, 0)["max"]

    assert "needs a max" in _edit(config_dir, scale_without_max)["scorecards.0.sections.1.questions.0"]

    def yes_no_with_max(data: dict[str, Any]) -> None:
        _question(data, 0, 0)["max"] = 3

    assert "cannot have a max" in _edit(config_dir, yes_no_with_max)["scorecards.0.sections.0.questions.0"]

    def na_not_boolean(data: dict[str, Any]) -> None:
        _question(data, 0, 0)["allow_na"] = "sometimes"

    assert "scorecards.0.sections.0.questions.0.allow_na" in _edit(config_dir, na_not_boolean)

    def bad_kind(data: dict[str, Any]) -> None:
        _question(data, 0, 0)["kind"] = "stars"

    assert "scorecards.0.sections.0.questions.0.kind" in _edit(config_dir, bad_kind)


def test_question_codes_are_unique_in_a_scorecard_and_references_resolve(config_dir: Path) -> None:
    def repeated(data: dict[str, Any]) -> None:
        _question(data, 2, 0)["code"] = "greeting"

    details = _edit(config_dir, repeated)
    assert "already in section 'opening'" in details["scorecards.0.sections.2.questions.0.code"]

    def default_missing(data: dict[str, Any]) -> None:
        data["default_scorecard"] = "sales_call"

    assert "unknown scorecard 'sales_call'" in _edit(config_dir, default_missing)["(top level)"]

    def dispute_unknown(data: dict[str, Any]) -> None:
        data["selection"]["dispute_reasons"] = ["dispute", "argued"]

    details = _edit(config_dir, dispute_unknown)
    assert "unknown disposition reason 'argued'" in details["scorecards.yaml: selection.dispute_reasons.1"]


def test_a_bad_file_names_the_line(config_dir: Path) -> None:
    path = config_dir / "scorecards.yaml"
    replace_in(path, "            weight: 5\n", "            weight: lots\n")
    with pytest.raises(ConfigError) as bad:
        load_model(path, ScorecardLists)
    assert bad.value.details["key"] == "scorecards.0.sections.0.questions.0.weight"
    assert isinstance(bad.value.details["line"], int)
    with pytest.raises(ConfigError):
        load_lists(config_dir)
