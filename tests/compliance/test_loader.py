"""Pack files: both shipped packs load; a bad file names the file, the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.compliance_loader import PACKS_DIR, load_pack
from config.settings import Settings
from domain.compliance import Window
from domain.errors import ConfigError


def test_shipped_packs_load() -> None:
    kenya = load_pack("kenya")
    assert kenya.name == "kenya"
    assert kenya.week[0] == (Window(8 * 60, 20 * 60),)
    assert kenya.week[6] == ()
    assert kenya.relations["collections"].with_consent == {"alternative_contact": "alt_contacts"}
    reg_f = load_pack(PACKS_DIR / "us_reg_f.yaml")
    limits = reg_f.limits
    assert (limits.max_per_7d, limits.per_debt, limits.pause_after_conversation) == (7, True, True)
    assert all(day == (Window(8 * 60, 21 * 60),) for day in reg_f.week)


def test_the_settings_default_pack_loads() -> None:
    assert load_pack(Settings().compliance_pack).name == Settings().compliance_pack


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_TAIL = "relations:\n  collections:\n    allowed: [customer]\n"


def _error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_pack(path)
    assert str(path) in caught.value.message
    assert caught.value.details["file"] == str(path)
    return caught.value


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, "name: x\nattempts:\n  max_per_7d: [1\n"))
    assert error.details["line"] == 4
    assert "YAML syntax error" in error.message


def test_bad_value_names_key_and_line(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, "name: x\nattempts:\n  max_per_7d: 0\n" + GOOD_TAIL))
    assert (error.details["key"], error.details["line"]) == ("attempts.max_per_7d", 3)
    assert "attempts.max_per_7d" in error.message
    assert ":3:" in error.message


def test_bad_time_range_names_the_day(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, "name: x\ncalling_hours:\n  sunday: '20:00-08:00'\n" + GOOD_TAIL))
    assert (error.details["key"], error.details["line"]) == ("calling_hours.sunday", 3)


def test_unknown_relation_and_unknown_key_are_named(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, "name: x\nrelations:\n  collections:\n    allowed: [customer, cousin]\n"))
    assert (error.details["key"], error.details["line"]) == ("relations.collections.allowed.1", 4)
    error = _error(_write(tmp_path, "name: x\nmax_calls: 3\n" + GOOD_TAIL))
    assert (error.details["key"], error.details["line"]) == ("max_calls", 2)


def test_missing_key_and_never_open_are_refused(tmp_path: Path) -> None:
    assert _error(_write(tmp_path, "name: x\n")).details["key"] == "relations"
    error = _error(_write(tmp_path, "name: x\ncalling_hours:\n  default: closed\n" + GOOD_TAIL))
    assert error.details["key"] == "calling_hours"


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    _error(tmp_path / "absent.yaml")
    assert _error(_write(tmp_path, "- just\n- a list\n")).details["key"] == "(top level)"
