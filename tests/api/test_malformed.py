"""Malformed requests get a 4xx in the one error shape, never a 500 (fixed cases and a fuzz)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import ApiWorld, assert_error_shape

NASTY: list[Any] = [None, True, -1, 0, 2**63, -(2**80), 10**400, 1.5, float("inf"), "", " ", "\x00", "a\x00b",
                    "\ud800", "x" * 5000, "2024-13-45", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
                    "NaN", "1e400", [], [1, 2], {}, {"a": {"b": []}}, "'; DROP TABLE customers; --", "%_%"]


# (method, path, body, who) -> (status, error_id, the fields ``details`` names)
CASES: list[tuple[str, str, bytes | str, str, int, str, set[str]]] = [
    ("POST", "/api/customers", b"{not json", "sup", 422, "validation-failed", {"body"}),
    ("POST", "/api/customers", b"", "sup", 422, "validation-failed", {"body"}),
    ("POST", "/api/customers", b"[]", "sup", 422, "validation-failed", {"body"}),
    ("POST", "/api/customers", b'"a string"', "sup", 422, "validation-failed", {"body"}),
    ("POST", "/api/customers", b"\xff\xfe\x00", "sup", 400, "bad-request", set()),
    ("POST", "/api/customers", json.dumps({"name": 5, "phone": ["0712345678"]}), "sup", 422, "validation-failed",
     {"name", "phone"}),
    ("POST", "/api/customers", json.dumps({"name": "X", "phone": "0712345678", "risk_score": "NaN"}), "sup", 422,
     "validation-failed", {"risk_score"}),
    ("POST", "/api/auth/login", b"{", "sup", 422, "validation-failed", {"body"}),
    ("POST", "/api/tasks", json.dumps({"due_at": "tomorrow"}), "sup", 422, "validation-failed", {"due_at"}),
    ("POST", "/api/tasks", json.dumps({"due_at": "2030-01-01T10:00:00+03:00", "customer_id": 2**70}), "sup", 422,
     "validation-failed", {"customer_id"}),
    ("PATCH", "/api/customers/1", json.dumps({"risk_score": 1e308}), "sup", 422, "validation-failed", {"risk_score"}),
    ("PUT", "/api/config/lists/notes", b"null", "admin", 422, "validation-failed", {"body"}),
    ("PUT", "/api/config/lists/notes", b"null", "sup", 403, "permission-denied", {"role"}),
]


async def test_malformed_json_and_wrong_types(api: ApiWorld) -> None:
    """Each case gets its own 4xx, its stable ``error_id``, and ``details`` naming the bad fields."""
    for method, path, content, who, status, error_id, fields in CASES:
        headers = {**api.as_(who), "content-type": "application/json"}
        response = await api.client.request(method, path, content=content, headers=headers)
        body = assert_error_shape(response, status, error_id)
        assert fields <= set(body["details"]), (method, path, content, body)


@pytest.mark.parametrize("path", ["/api/customers/0", "/api/customers/-5", "/api/customers/abc",
                                  f"/api/customers/{2**64}", "/api/customers/1e3", "/api/attachments/99999999999"])
async def test_bad_ids_are_4xx(api: ApiWorld, path: str) -> None:
    response = await api.client.get(path, headers=api.as_("sup"))
    assert response.status_code in (404, 422), response.text
    assert_error_shape(response, response.status_code)


async def test_unknown_route_and_method_use_the_error_shape(api: ApiWorld) -> None:
    assert_error_shape(await api.client.get("/api/nothing-here", headers=api.as_("sup")), 404, "not-found")
    assert_error_shape(await api.client.delete("/api/customers", headers=api.as_("sup")), 405,
                       "method-not-allowed")
    assert_error_shape(await api.client.get("/api/config/lists/nope", headers=api.as_("sup")), 404)


async def test_oversized_upload_is_413(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    big = b"x" * (api.settings.attachment_max_bytes + 1)
    response = await api.client.post(f"/api/customers/{cid}/attachments", headers=api.as_("amina"),
                                     files={"file": ("big.bin", big, "application/octet-stream")})
    assert_error_shape(response, 413, "payload-too-large")
    huge = await api.client.post(f"/api/customers/{cid}/attachments", headers=api.as_("amina"),
                                 files={"file": ("huge.bin", big * 3, "application/octet-stream")})
    assert_error_shape(huge, 413, "payload-too-large")
    assert (await api.client.get(f"/api/customers/{cid}/attachments", headers=api.as_("amina"))).json() == {
        "items": []}


def _mutations(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from([*valid, "extra", "disposition", "follow_up"])
    values = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.integers(), st.floats(),
                       st.dates().map(str), st.datetimes().map(str),
                       st.dictionaries(st.text(max_size=5), st.sampled_from(NASTY), max_size=3))
    return st.dictionaries(keys, values, max_size=4).map(lambda changes: {**valid, **changes})


VALID: dict[str, dict[str, Any]] = {
    "/api/customers": {"name": "Fuzz", "phone": "0712345678", "phones": [], "serial_numbers": [],
                       "risk_score": 0.5, "timezone": "Africa/Nairobi", "status": "current"},
    "/api/customers/{cid}/interactions": {
        "channel": "call", "disposition": {"status": "contacted", "reason": "promise_to_pay"},
        "promised_amount": "100", "promised_date": "2030-01-01", "comments": "x",
        "callback_at": "2030-01-01T10:00:00+03:00", "contact_id": 1},
    "/api/customers/{cid}/transactions": {
        "external_ref": "F-1", "posted_at": "2025-01-01T00:00:00Z", "direction": "credit",
        "kind": "mpesa_deposit", "amount": "10"},
    "/api/customers/{cid}/loans": {
        "external_ref": "L-1", "product": "p", "applied_amount": "1", "principal": "1", "balance": "1",
        "start_date": "2025-01-01", "end_date": "2025-02-01",
        "schedule": [{"number": 1, "due_date": "2025-02-01", "principal": "1"}]},
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_fuzzed_bodies_never_cause_a_500(api: ApiWorld, data: st.DataObject) -> None:
    if "cid" not in api.scratch:
        api.scratch["cid"] = (await api.customer("Fuzz Target", "0712000999"))["id"]
    template = data.draw(st.sampled_from(sorted(VALID)))
    body = data.draw(_mutations(VALID[template]))
    path = template.format(cid=api.scratch["cid"])
    try:
        content = json.dumps(body)
    except (ValueError, TypeError):
        return
    response = await api.client.post(path, content=content, headers={**api.as_("sup"),
                                                                      "content-type": "application/json"})
    assert response.status_code < 500, (path, body, response.text)
    if response.status_code >= 400:
        assert_error_shape(response, response.status_code)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60), limit=st.integers(), offset=st.integers())
async def test_fuzzed_search_never_causes_a_500(api: ApiWorld, q: str, limit: int, offset: int) -> None:
    response = await api.client.get("/api/customers", params={"q": q, "limit": str(limit),
                                                              "offset": str(offset)}, headers=api.as_("sup"))
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert_error_shape(response, 422)
