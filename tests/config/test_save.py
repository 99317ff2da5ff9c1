"""Admin edits: save_list validates before it writes, writes atomically, and never lands a bad edit."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from config.lists import LIST_MODELS, load_lists, save_list
from domain.errors import InvalidInput, NotFound
from tests.config.helpers import copy_defaults


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return copy_defaults(tmp_path)


def snapshot(config_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(config_dir.iterdir())}


def test_dump_then_save_round_trips_every_list(config_dir: Path) -> None:
    before = load_lists(config_dir)
    for name in LIST_MODELS:
        after = save_list(config_dir, name, before.dump_list(name))
        assert after == before
    assert load_lists(config_dir) == before
    assert "edited through the admin screen" in (config_dir / "dispositions.yaml").read_text()


def test_valid_edit_lands_and_reloads(config_dir: Path) -> None:
    data = load_lists(config_dir).dump_list("pause_codes")
    data["pause_codes"].append({"code": "coaching", "label": "Coaching session", "max_minutes": 30})
    returned = save_list(config_dir, "pause_codes", data)
    assert returned.pause_code("coaching").max_minutes == 30
    assert load_lists(config_dir).pause_code("coaching").label == "Coaching session"
    assert [p.name for p in config_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_new_disposition_reason_is_usable(config_dir: Path) -> None:
    data = load_lists(config_dir).dump_list("dispositions")
    contacted = data["statuses"][0]
    contacted["reasons"].append({
        "code": "deceased", "label": "Customer deceased", "requires": ["comments"], "dialer": "close",
        "resolutions": [{"code": "escalated", "label": "Escalated"}]})
    lists = save_list(config_dir, "dispositions", data)
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("contacted", "deceased", "escalated", {})
    assert caught.value.details == {"comments": "required for deceased"}


def invalid_edits() -> list[tuple[str, Any, str]]:
    def dup(d: dict[str, Any]) -> None:
        d["pause_codes"].append({"code": "lunch", "label": "Second lunch"})

    def bad_code(d: dict[str, Any]) -> None:
        d["statuses"][0]["reasons"][0]["code"] = "Promise To Pay"

    def bad_field(d: dict[str, Any]) -> None:
        d["statuses"][0]["reasons"][0]["requires"] = ["promised_sum"]

    def bad_mapping(d: dict[str, Any]) -> None:
        d["activity_map"][0]["reason"] = "promise_to_pay"

    def unknown_key(d: dict[str, Any]) -> None:
        d["templates"][0]["colour"] = "red"

    return [("pause_codes", dup, "pause_codes"),
            ("dispositions", bad_code, "statuses.0.reasons.0.code"),
            ("dispositions", bad_field, "statuses.0.reasons.0.requires"),
            ("dispositions", bad_mapping, "activity_map.0.reason"),
            ("templates", unknown_key, "templates.0.colour")]


@pytest.mark.parametrize(("name", "change", "key"), invalid_edits())
def test_invalid_edit_is_refused_and_file_unchanged(config_dir: Path, name: str, change: Any,
                                                    key: str) -> None:
    before = snapshot(config_dir)
    data = copy.deepcopy(load_lists(config_dir).dump_list(name))
    change(data)
    with pytest.raises(InvalidInput) as caught:
        save_list(config_dir, name, data)
    assert key in caught.value.details
    assert f"{name}.yaml" in caught.value.message
    assert snapshot(config_dir) == before


def test_edit_breaking_another_file_is_refused(config_dir: Path) -> None:
    before = snapshot(config_dir)
    data = load_lists(config_dir).dump_list("dialer")
    data["campaigns"] = [c for c in data["campaigns"] if c["code"] != "sales"]  # reasons.yaml uses it
    with pytest.raises(InvalidInput) as caught:
        save_list(config_dir, "dialer", data)
    assert "reasons.yaml: reasons.0.campaign" in caught.value.details
    assert "unknown campaign 'sales'" in caught.value.message
    assert snapshot(config_dir) == before


def test_sms_template_reference_must_stay_sms(config_dir: Path) -> None:
    data = load_lists(config_dir).dump_list("reasons")
    data["reasons"][0]["sms_template"] = "statement_email"
    with pytest.raises(InvalidInput) as caught:
        save_list(config_dir, "reasons", data)
    assert "reasons.yaml: reasons.0.sms_template" in caught.value.details


def test_unknown_list_name(config_dir: Path) -> None:
    with pytest.raises(NotFound):
        save_list(config_dir, "passwords", {})
    with pytest.raises(NotFound):
        load_lists(config_dir).dump_list("../settings")


def test_failed_write_leaves_the_old_file(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(config_dir)
    data = load_lists(config_dir).dump_list("notes")
    data["customer_moods"].append({"code": "relieved", "label": "Relieved"})

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("config.lists.files.os.replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        save_list(config_dir, "notes", data)
    assert snapshot(config_dir) == before  # no partial file, no temp file left behind
