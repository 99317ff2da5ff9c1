"""The shipped default lists load, and every item the issue and the seeds name is there."""

from __future__ import annotations

import pytest

from config.lists import Lists, load_lists
from config.lists.common import is_code
from config.settings import Settings
from tests.config.helpers import DEFAULTS_DIR


@pytest.fixture(scope="module")
def lists() -> Lists:
    return load_lists(DEFAULTS_DIR)


def test_settings_point_at_the_defaults() -> None:
    assert Settings().config_dir == DEFAULTS_DIR
    assert load_lists(Settings().config_dir) == load_lists(DEFAULTS_DIR)


def test_disposition_layers(lists: Lists) -> None:
    tree = lists.dispositions
    assert [s.code for s in tree.statuses] == ["contacted", "not_contacted", "pending"]
    reasons = {s.code: {r.code for r in s.reasons} for s in tree.statuses}
    assert {"promise_to_pay", "dispute", "call_back", "refused", "paid_already", "wrong_party"} <= reasons[
        "contacted"]
    assert {"no_answer", "busy", "left_message", "wrong_number", "switched_off", "unreachable"} <= reasons[
        "not_contacted"]
    assert {"call_back", "awaiting_documents", "escalated_review"} <= reasons["pending"]
    resolutions = {res.code for s in tree.statuses for r in s.reasons for res in r.resolutions}
    assert {"payment_scheduled", "payment_completed", "escalated", "unreachable", "callback_scheduled",
            "retry_later", "closed"} <= resolutions


def test_seed_003_example_path(lists: Lists) -> None:
    node = lists.disposition_node("contacted", "promise_to_pay", "payment_scheduled")
    assert node.code == "payment_scheduled"
    assert lists.required_fields("contacted", "promise_to_pay", "payment_scheduled") == {
        "promised_amount", "promised_date"}
    assert lists.required_fields("contacted", "call_back") == {"callback_at"}
    assert lists.required_fields("pending", "call_back", "callback_scheduled") == {"callback_at"}


def test_dialer_hints(lists: Lists) -> None:
    assert lists.dialer_hint("not_contacted", "no_answer") == "retry"
    assert lists.dialer_hint("not_contacted", "busy", "retry_later") == "retry"
    assert lists.dialer_hint("not_contacted", "no_answer", "unreachable") == "close"
    assert lists.dialer_hint("contacted", "call_back", "callback_scheduled") == "reschedule_callback"
    assert lists.dialer_hint("contacted", "promise_to_pay", "payment_scheduled") == "close"


def test_seed_002_activities_map_onto_the_tree(lists: Lists) -> None:
    assert lists.map_activity("No Answer") == ("not_contacted", "no_answer", "retry_later")
    assert lists.map_activity("left message") == ("not_contacted", "left_message", "retry_later")
    status, reason, resolution = lists.map_activity("Spoke to Customer")
    assert status == "contacted"
    # every mapping lands on a real node
    for entry in lists.dispositions.activity_map:
        assert lists.disposition_node(entry.status, entry.reason, entry.resolution).code == (
            entry.resolution or entry.reason)
    assert lists.disposition_node(status, reason, resolution).code == reason


def test_seed_000_followup_fields(lists: Lists) -> None:
    f = lists.followup
    assert [a.code for a in f.actions] == [
        "customer", "guarantor", "relationship_officer", "alternative_contact"]
    assert {"answered", "no_answer", "busy"} <= {r.code for r in f.call_results}
    statuses = {s.code: s for s in f.call_statuses}
    assert set(statuses) == {"connected", "not_connected"}
    assert statuses["connected"].connected
    assert not statuses["not_connected"].connected
    spoke = next(a for a in statuses["connected"].actions if a.code == "spoke_to_customer")
    assert {"promised_to_pay", "disputes_debt", "refused_to_pay"} <= set(spoke.party_responses)
    assert {"overdue", "promise_pending", "repaid"} <= {c.code for c in f.client_statuses}


def test_seed_004_note_lists(lists: Lists) -> None:
    assert [p.code for p in lists.notes.purposes] == ["sales", "credit_control", "customer_service"]
    assert len(lists.notes.call_outcomes) >= 3
    assert {"happy", "neutral", "angry"} <= {m.code for m in lists.notes.customer_moods}


SEED_001_REASONS = ["send_sms_to_sa", "consecutive_grace_days_used", "limited_grace_days_left",
                    "correct_smart_unknown_customers", "payg_default", "touchpoint_payment_issues",
                    "technical_issues", "late"]


def test_seed_001_reasons_with_scripts(lists: Lists) -> None:
    codes = [r.code for r in lists.reasons.reasons]
    extra = ["overdue_loan", "broken_promise", "callback", "new_lead", "upgrade_offer"]
    for code in [*SEED_001_REASONS, *extra]:
        assert code in codes
        reason = lists.reason(code)
        assert reason.script
        assert all(line.strip() for line in reason.script)
        assert reason.campaign in {c.code for c in lists.dialer.campaigns}
    assert lists.reason("send_sms_to_sa").label == "Send SMS to SA"
    assert lists.reason("overdue_loan").campaign == "collections"
    assert lists.reasons.greeting.inbound[0].startswith("Good morning")
    inbound = {r.code for r in lists.call_reasons("inbound")}
    outbound = {r.code for r in lists.call_reasons("outbound")}
    assert "technical_issues" in inbound
    assert "technical_issues" in outbound
    assert "payg_default" in outbound
    assert "payg_default" not in inbound


def test_pause_codes_templates_and_dialer(lists: Lists) -> None:
    assert [p.code for p in lists.pause_codes.pause_codes] == [
        "break", "lunch", "training", "meeting", "admin", "technical"]
    assert lists.pause_code("lunch").label == "Lunch"
    assert {t.channel for t in lists.templates.templates} == {"sms", "email"}
    assert lists.template("payment_reminder").channel == "sms"
    assert lists.template("statement_email").subject
    d = lists.dialer
    assert d.retry.no_answer.max_attempts >= 1
    assert d.retry.busy.spacing_minutes >= 1
    assert d.postpone.hours == [4, 8]
    assert d.postpone.comment_required
    assert {(c.code, c.carrier) for c in d.campaigns} >= {("collections", "asterisk"), ("sales", "twilio")}
    assert d.escalation.broken_promise_amount > 0


def test_every_code_is_snake_case(lists: Lists) -> None:
    def walk(value: object) -> list[str]:
        if isinstance(value, dict):
            found = [value["code"]] if isinstance(value.get("code"), str) else []
            return found + [c for v in value.values() for c in walk(v)]
        if isinstance(value, list):
            return [c for v in value for c in walk(v)]
        return []

    all_codes = [c for name in ("dispositions", "followup", "notes", "reasons", "pause_codes", "templates",
                                "dialer") for c in walk(lists.dump_list(name))]
    assert len(all_codes) > 100
    assert all(is_code(c) for c in all_codes), [c for c in all_codes if not is_code(c)]
