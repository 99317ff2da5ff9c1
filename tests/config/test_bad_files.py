"""A bad list file fails the load with a ConfigError naming the file and the line or key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.lists import load_lists
from domain.errors import ConfigError
from tests.config.helpers import copy_defaults, replace_in


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return copy_defaults(tmp_path)


def load_error(config_dir: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_lists(config_dir)
    return caught.value


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_copy_loads(config_dir: Path) -> None:
    assert load_lists(config_dir).pause_code("break").label == "Short break"


def test_yaml_syntax_error_names_file_and_line(config_dir: Path) -> None:
    path = config_dir / "pause_codes.yaml"
    replace_in(path, "{code: lunch, label: Lunch, max_minutes: 60}",
               "{code: lunch, label: [Lunch, max_minutes: 60}")
    error = load_error(config_dir)
    expected_line = line_of(path, "code: lunch")
    assert error.details["file"] == str(path)
    assert error.details["line"] == expected_line
    assert str(path) in error.message
    assert f"line {expected_line}" in error.message
    assert error.error_id == "config-invalid"


def test_tab_indentation_names_the_line(config_dir: Path) -> None:
    path = config_dir / "notes.yaml"
    replace_in(path, "  - {code: neutral, label: Neutral}", "\t- {code: neutral, label: Neutral}")
    error = load_error(config_dir)
    assert error.details["file"] == str(path)
    assert error.details["line"] == line_of(path, "code: neutral")


def test_unknown_key_names_file_key_path_and_line(config_dir: Path) -> None:
    path = config_dir / "dispositions.yaml"
    replace_in(path, "        requires: [promised_amount, promised_date]",
               "        required: [promised_amount, promised_date]")
    error = load_error(config_dir)
    assert error.details["file"] == str(path)
    assert error.details["key"] == "statuses.0.reasons.0.required"
    line = line_of(path, "required: [promised_amount")
    assert f"line {line}" in error.details["errors"]["statuses.0.reasons.0.required"]
    assert str(path) in error.message
    assert "statuses.0.reasons.0.required" in error.message


def test_bad_value_names_the_key_path(config_dir: Path) -> None:
    path = config_dir / "dialer.yaml"
    replace_in(path, "busy: {max_attempts: 3, spacing_minutes: 30}",
               "busy: {max_attempts: -1, spacing_minutes: 30}")
    error = load_error(config_dir)
    assert error.details["key"] == "retry.busy.max_attempts"
    assert error.message.endswith("retry.busy.max_attempts: must be 0 or more")


def test_bad_carrier_and_missing_section(config_dir: Path) -> None:
    path = config_dir / "dialer.yaml"
    replace_in(path, "carrier: twilio", "carrier: pigeon")
    assert load_error(config_dir).details["key"] == "campaigns.2.carrier"
    replace_in(path, "carrier: pigeon", "carrier: twilio")
    replace_in(path, "escalation:", "escalation_rules:")
    errors = load_error(config_dir).details["errors"]
    assert "escalation" in errors
    assert "escalation_rules" in errors


def test_code_must_be_snake_case(config_dir: Path) -> None:
    replace_in(config_dir / "notes.yaml", "code: credit_control", "code: Credit-Control")
    error = load_error(config_dir)
    assert error.details["key"] == "purposes.1.code"
    assert error.message.endswith(
        "purposes.1.code: must be lower-case letters and digits, words joined by '_' (like lunch_break)")


def test_duplicate_codes_refused(config_dir: Path) -> None:
    replace_in(config_dir / "pause_codes.yaml", "code: meeting", "code: training")
    error = load_error(config_dir)
    assert error.details["key"] == "pause_codes"
    assert "duplicate code 'training'" in error.message


def test_duplicate_reason_code_under_a_status_refused(config_dir: Path) -> None:
    path = config_dir / "dispositions.yaml"
    replace_in(path, "      - code: switched_off", "      - code: busy")
    error = load_error(config_dir)
    assert error.details["key"] == "statuses.1.reasons"
    assert error.details["line"] == line_of(path, "label: Phone switched off") - 1  # the second 'busy'
    assert "duplicate code 'busy'" in error.message


def test_duplicate_yaml_key_refused(config_dir: Path) -> None:
    path = config_dir / "templates.yaml"
    replace_in(path, "  paybill: \"400200\"\n", "  paybill: \"400200\"\n  paybill: \"999\"\n")
    error = load_error(config_dir)
    assert error.details["line"] == line_of(path, 'paybill: "999"')
    assert "duplicate key 'paybill'" in error.message


def test_unknown_required_field_refused(config_dir: Path) -> None:
    replace_in(config_dir / "dispositions.yaml", "requires: [callback_at]", "requires: [call_back_time]")
    error = load_error(config_dir)
    assert "call_back_time" in error.message
    assert "requires" in error.details["key"]


def test_activity_mapping_must_resolve(config_dir: Path) -> None:
    replace_in(config_dir / "dispositions.yaml", "status: not_contacted, reason: left_message",
               "status: contacted, reason: left_message")
    path = config_dir / "dispositions.yaml"
    error = load_error(config_dir)
    assert error.details["key"] == "activity_map.1.reason"
    assert error.details["line"] == line_of(path, "{label: Left Message")
    assert "reason 'left_message' is not under status 'contacted'" in error.message


def test_party_response_reference_must_resolve(config_dir: Path) -> None:
    replace_in(config_dir / "followup.yaml", "party_responses: [ro_will_visit,",
               "party_responses: [ro_will_fly,")
    error = load_error(config_dir)
    assert error.details["key"] == "call_statuses.0.actions.3.party_responses"
    assert "unknown party response 'ro_will_fly'" in error.message


def test_reason_campaign_must_exist_in_dialer_yaml(config_dir: Path) -> None:
    replace_in(config_dir / "reasons.yaml", "campaign: sales", "campaign: telesales")
    error = load_error(config_dir)
    assert error.details["file"] == str(config_dir / "reasons.yaml")
    assert error.details["key"] == "reasons.0.campaign"
    assert "unknown campaign 'telesales'" in error.message


def test_unknown_placeholder_refused(config_dir: Path) -> None:
    replace_in(config_dir / "templates.yaml", "Dear {first_name}, your {company}",
               "Dear {firstname}, your {company}")
    error = load_error(config_dir)
    assert error.details["key"] == "templates.0.body"
    assert "{firstname}" in error.message


def test_email_needs_a_subject(config_dir: Path) -> None:
    replace_in(config_dir / "templates.yaml", '    subject: "Your {company} account statement"\n', "")
    assert "email template 'statement_email' needs a subject" in load_error(config_dir).message


@pytest.mark.parametrize("content", ["", "# only a comment\n"])
def test_empty_file(config_dir: Path, content: str) -> None:
    (config_dir / "notes.yaml").write_text(content, encoding="utf-8")
    error = load_error(config_dir)
    assert error.details["file"] == str(config_dir / "notes.yaml")
    assert "empty" in error.message


def test_wrong_top_level_type(config_dir: Path) -> None:
    (config_dir / "notes.yaml").write_text("- sales\n- credit_control\n", encoding="utf-8")
    error = load_error(config_dir)
    assert error.details["file"] == str(config_dir / "notes.yaml")


def test_missing_file(config_dir: Path) -> None:
    (config_dir / "reasons.yaml").unlink()
    error = load_error(config_dir)
    assert error.details["file"] == str(config_dir / "reasons.yaml")
    assert "cannot read" in error.message
