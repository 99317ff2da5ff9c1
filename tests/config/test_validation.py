"""Submitted codes are checked against the lists; errors are InvalidInput naming the field."""

from __future__ import annotations

from datetime import date

import pytest

from config.lists import Lists, load_lists
from domain.errors import InvalidInput
from tests.config.helpers import DEFAULTS_DIR


@pytest.fixture(scope="module")
def lists() -> Lists:
    return load_lists(DEFAULTS_DIR)


PROMISE = {"promised_amount": "1500.00", "promised_date": date(2026, 12, 1)}


def test_valid_dispositions_pass(lists: Lists) -> None:
    lists.validate_disposition("contacted", "promise_to_pay", "payment_scheduled", PROMISE)
    lists.validate_disposition("not_contacted", "no_answer", None, {})
    lists.validate_disposition("contacted", "call_back", "callback_scheduled",
                               {"callback_at": "2026-12-01T10:00"})


def test_unknown_status(lists: Lists) -> None:
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("reached", "promise_to_pay", None, PROMISE)
    assert set(caught.value.details) == {"disposition.status"}
    assert "unknown status 'reached'" in caught.value.details["disposition.status"]
    assert caught.value.status == 422


def test_unknown_reason(lists: Lists) -> None:
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("contacted", "went_fishing", None, {})
    assert set(caught.value.details) == {"disposition.reason"}
    assert "unknown reason 'went_fishing'" in caught.value.details["disposition.reason"]
    assert "promise_to_pay" in caught.value.details["disposition.reason"]  # the choices are listed


def test_reason_under_the_wrong_status(lists: Lists) -> None:
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("not_contacted", "promise_to_pay", "payment_scheduled", PROMISE)
    assert caught.value.details["disposition.reason"].startswith(
        "reason 'promise_to_pay' is not under status 'not_contacted'")


def test_resolution_under_the_wrong_reason_and_unknown(lists: Lists) -> None:
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("contacted", "promise_to_pay", "retry_later", PROMISE)
    assert caught.value.details["disposition.resolution"].startswith(
        "resolution 'retry_later' is not under reason 'promise_to_pay'")
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("contacted", "promise_to_pay", "teleported", PROMISE)
    assert "unknown resolution 'teleported'" in caught.value.details["disposition.resolution"]


def test_reason_is_required(lists: Lists) -> None:
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("contacted", None, None, {})
    assert "disposition.reason" in caught.value.details


@pytest.mark.parametrize("fields", [{}, {"promised_date": "2026-12-01"}, {"promised_amount": None,
                                                                          "promised_date": "2026-12-01"},
                                    {"promised_amount": "  ", "promised_date": "2026-12-01"}])
def test_promise_to_pay_requires_amount(lists: Lists, fields: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("contacted", "promise_to_pay", "payment_scheduled", fields)
    assert caught.value.details["promised_amount"] == "required for promise_to_pay"


def test_missing_fields_are_all_named(lists: Lists) -> None:
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("contacted", "promise_to_pay", None, {"comments": "x"})
    assert caught.value.details == {"promised_amount": "required for promise_to_pay",
                                    "promised_date": "required for promise_to_pay"}
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("contacted", "call_back", None, {})
    assert caught.value.details == {"callback_at": "required for call_back"}


def test_resolution_adds_its_own_requirement(lists: Lists) -> None:
    lists.validate_disposition("contacted", "account_discussed", None, {})
    with pytest.raises(InvalidInput) as caught:
        lists.validate_disposition("contacted", "account_discussed", "visit_scheduled", {})
    assert caught.value.details == {"visit_date": "required for visit_scheduled"}


def test_unknown_activity_label(lists: Lists) -> None:
    with pytest.raises(InvalidInput) as caught:
        lists.map_activity("Sent Pigeon")
    assert "No Answer" in caught.value.details["disposition"]


def test_lookups_name_the_field(lists: Lists) -> None:
    for call, field in ((lambda: lists.reason("nope"), "reason"),
                        (lambda: lists.pause_code("nap"), "pause_code"),
                        (lambda: lists.template("nope"), "template")):
        with pytest.raises(InvalidInput) as caught:
            call()
        assert set(caught.value.details) == {field}


def test_note_fields(lists: Lists) -> None:
    good = {"action": "guarantor", "call_result": "answered", "call_status": "connected",
            "status_action": "spoke_to_guarantor", "party_response": "guarantor_will_pay",
            "client_status": "overdue", "purpose": "credit_control", "call_outcome": "successful",
            "customer_mood": "neutral", "template": "payment_reminder", "comments": "free text"}
    lists.validate_note_fields(good)
    lists.validate_note_fields({})
    with pytest.raises(InvalidInput) as caught:
        lists.validate_note_fields({**good, "status_action": "rang_no_answer", "customer_mood": "hangry"})
    assert set(caught.value.details) == {"status_action", "customer_mood"}
    assert "for call status 'connected'" in caught.value.details["status_action"]
    with pytest.raises(InvalidInput) as caught:
        lists.validate_note_fields({**good, "party_response": "promised_to_pay"})  # not for a guarantor
    assert set(caught.value.details) == {"party_response"}
    with pytest.raises(InvalidInput) as caught:
        lists.validate_note_fields({"party_response": "will_pay"})
    assert caught.value.details == {"party_response": "needs a status_action"}
    with pytest.raises(InvalidInput) as caught:
        lists.validate_note_fields({"action": 3})
    assert set(caught.value.details) == {"action"}


def test_render_fills_defaults_and_names_missing(lists: Lists) -> None:
    body = lists.template("payment_reminder").body
    text = lists.render(body, {"first_name": "Wanjiku", "amount": "1,200", "due_date": "5 Dec",
                               "account": "JP-1001"})
    assert text.startswith("Dear Wanjiku, your Jua Power payment of KES 1,200 is due on 5 Dec.")
    assert "Paybill 400200" in text
    with pytest.raises(InvalidInput) as caught:
        lists.render(body, {"first_name": "Wanjiku"})
    assert "{amount}" in caught.value.details["template"]
    loose = lists.render(lists.reason("late").script[0], {"name": "Otieno"}, strict=False)
    assert loose == "Hello Otieno, your payment of {amount} KES was due on {due_date}."


