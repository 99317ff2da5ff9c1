"""A refused field reads as words a person understands: "The amount must be 0 or more.", never
pydantic's "Input should be greater than or equal to 0" or "invalid input: amount"."""

from __future__ import annotations

import pytest

from domain.field_words import field_words, phrase, sentence
from tests.api.conftest import ApiWorld, assert_error_shape


@pytest.mark.parametrize(("error_type", "context", "said"), [
    ("greater_than_equal", {"ge": 0}, "must be 0 or more"),
    ("greater_than", {"gt": 0}, "must be more than 0"),
    ("less_than_equal", {"le": 2_147_483_647}, "must be 2,147,483,647 or less"),
    ("greater_than_equal", {"ge": 0.0}, "must be 0 or more"), ("less_than_equal", {"le": 0.5}, "must be 0.5 or less"),
    ("string_too_long", {"max_length": 200}, "must be at most 200 characters"),
    ("string_too_short", {"min_length": 1}, "is required"),
    ("string_too_short", {"min_length": 8}, "must be at least 8 characters"),
    ("missing", None, "is required"),
    ("too_short", {"field_type": "Value", "min_length": 1}, "is required"),
    ("too_short", {"field_type": "List", "min_length": 2}, "needs at least 2 items"),
    ("too_long", {"field_type": "Value", "max_length": 3}, "may have at most 3 characters"),
    ("decimal_max_digits", {"max_digits": 14}, "is too large"),
    ("decimal_parsing", None, "must be a number"),
    ("date_from_datetime_parsing", {"error": "x"}, "must be a date written YYYY-MM-DD"),
    ("literal_error", {"expected": "'json' or 'csv'"}, "must be one of 'json' or 'csv'"),
    ("some_new_type", None, "input is odd"),  # pydantic's own text, first letter lowered
])
def test_pydantic_errors_become_phrases(error_type: str, context: dict[str, object] | None, said: str) -> None:
    assert phrase(error_type, context, "Input is odd") == said


@pytest.mark.parametrize(("key", "words"), [
    ("promised_amount", "promised amount"), ("follow_up.due_at", "follow-up date"), ("q", "search text"),
    ("customer_id", "customer"), ("items.3.phone", "phone"), ("government_id", "ID number"),
])
def test_field_keys_become_words(key: str, words: str) -> None:
    assert field_words(key) == words


def test_a_phrase_follows_the_field_and_a_clause_comes_after_a_colon() -> None:
    assert sentence("promised_amount", "must be 0 or more") == "The promised amount must be 0 or more."
    assert sentence("promised_date", "a promise cannot fall due in the past") == \
        "The promised date: a promise cannot fall due in the past."


async def test_a_refused_form_answers_a_sentence_and_phrases(api: ApiWorld) -> None:
    customer = await api.customer()
    response = await api.client.post(f"/api/customers/{customer['id']}/promises", headers=api.as_("amina"),
                                     json={"amount": "-5", "due_date": "2026-13-01"})
    body = assert_error_shape(response, 422, "validation-failed")
    assert body["details"] == {"amount": "must be more than 0", "due_date": "must be a date written YYYY-MM-DD"}
    assert body["message"] == "The amount must be more than 0. 1 other field needs a look too."
    search = await api.client.get("/api/customers", params={"q": "x" * 300}, headers=api.as_("amina"))
    assert assert_error_shape(search, 422, "validation-failed") == {
        "error_id": "validation-failed", "message": "The search text must be at most 200 characters.",
        "details": {"q": "must be at most 200 characters"}}


async def test_adding_a_user_names_every_missing_field_and_a_taken_name_in_words(api: ApiWorld) -> None:
    empty = await api.client.post("/api/users", json={"username": "", "password": ""}, headers=api.as_("admin"))
    assert assert_error_shape(empty, 422, "validation-failed")["details"] == {
        "username": "is required", "password": "must be at least 8 characters"}
    taken = await api.client.post("/api/users", json={"username": "amina", "password": "long-enough-1"},
                                  headers=api.as_("admin"))
    assert assert_error_shape(taken, 409, "conflict")["message"] == "There is already a user named amina."
    odd = await api.client.post("/api/users", json={"username": "A b", "password": "long-enough-1"},
                                headers=api.as_("admin"))
    assert assert_error_shape(odd, 422, "validation-failed")["message"] == \
        "A username is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-'."


async def test_a_range_the_wrong_way_round_says_so_in_words(api: ApiWorld) -> None:
    r = await api.client.get("/api/calls", params={"from": "2026-01-02", "to": "2026-01-01"}, headers=api.as_("sup"))
    body = assert_error_shape(r, 422, "validation-failed")
    assert (body["message"], body["details"]) == ("The start date is after the end date.",
                                                  {"from": "must not be after the end date"})
