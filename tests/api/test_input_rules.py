"""Dates at the edge of the calendar and garbage input get a 422 naming the field (issue 13, items 6
and 7), never a 500 and never a silent reading: one rule module (domain.validation) for the API and
the CSV importer. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from agent_ui.app import create_app
from tests.api.conftest import ApiWorld, assert_error_shape

NOW = datetime.now(UTC)
TODAY = date.today()


def _field(response: httpx.Response, field: str) -> str:
    details = assert_error_shape(response, 422, "validation-failed")["details"]
    assert field in details, details
    message: str = details[field]
    return message


@pytest.fixture
async def dialer_client(api: ApiWorld) -> AsyncIterator[httpx.AsyncClient]:
    """The same services, with the dialer's routes mounted (the body rules run before the dialer)."""
    settings = api.settings.model_copy(update={"dialer": api.settings.dialer.model_copy(update={"enabled": True})})
    app = create_app(settings, api.services, components=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


# --- item 6: dates at the edge of the calendar ----------------------------------------------------------------

@pytest.mark.parametrize(("path", "params", "field"), [
    ("/api/reports/notes", {"by": "type", "from": "0001-01-01"}, "from"),
    ("/api/reports/agents", {"from": "0001-01-01"}, "from"),
    ("/api/reports/collections", {"to": "9999-12-31"}, "to"),
    ("/api/reports/notes", {"to": "0"}, "to"),  # not read as 1970
    ("/api/reports/agents", {"from": "1969-12-31"}, "from"),
    ("/api/reports/agents", {"to": "2101-01-01"}, "to"),
    ("/api/reports/agents", {"from": "20260101"}, "from"),
    ("/api/promises", {"due": "0001-01-01"}, "due"),
    ("/api/promises", {"due": "12345"}, "due"),
])
async def test_report_and_list_dates_outside_1970_2100_are_422(api: ApiWorld, path: str, params: dict[str, str],
                                                               field: str) -> None:
    _field(await api.client.get(path, params=params, headers=api.as_("sup")), field)


def _date_query_params(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, name) of every date query parameter of a GET route without path parameters."""
    found = []
    for path, operations in spec["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            schema = parameter.get("schema", {})
            formats = {s.get("format") for s in [schema, *schema.get("anyOf", [])]}
            if parameter["in"] == "query" and "date" in formats and "{" not in path:
                found.append((path, parameter["name"]))
    return found


async def test_every_date_in_a_query_is_a_day_from_1970_to_2100(api: ApiWorld) -> None:
    """Year 1 or 9999 in any ``from``/``to``/``week``/``due`` is a 422 naming it; they were 500s (an
    OverflowError turning the local day into UTC) on the call log, notes, QA, monitor and reports."""
    params = _date_query_params((await api.client.get("/openapi.json")).json())
    assert {("/api/calls", "from"), ("/api/qa/to-score", "week"), ("/api/monitor", "to")} <= set(params)
    for path, name in params:
        for day in ("0001-01-01", "9999-12-31"):
            response = await api.client.get(path, params={name: day}, headers=api.as_("sup"))
            if response.status_code != 403:  # an admin's route: refused before its query is read
                assert _field(response, name), (path, name, day)


async def test_an_agents_own_interactions_from_year_1_is_422_and_1970_works(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    base = f"/api/customers/{cid}/interactions"
    for bad in ({"from": "0001-01-01"}, {"to": "0001-01-01"}, {"from": "0"}):
        _field(await api.client.get(base, params=bad, headers=api.as_("amina")), next(iter(bad)))
    ok = await api.client.get(base, params={"from": "1970-01-01", "to": "2100-12-31"}, headers=api.as_("amina"))
    assert ok.status_code == 200, ok.text
    report = await api.client.get("/api/reports/notes", params={"from": "1970-01-01"}, headers=api.as_("sup"))
    assert report.status_code == 200, report.text


# --- item 7: garbage accepted ---------------------------------------------------------------------------------

@pytest.mark.parametrize("due", ["1900-01-01", "2024-06-01", "9999-12-31", (TODAY - timedelta(days=1)).isoformat(),
                                 (TODAY + timedelta(days=400)).isoformat(), "0", "12345"],
                         ids=["1900", "2024", "9999", "yesterday", "400 days ahead", "zero", "digits"])
async def test_promises_fall_due_from_today_to_a_year_ahead(api: ApiWorld, due: str) -> None:
    cid = (await api.customer())["id"]
    r = await api.client.post(f"/api/customers/{cid}/promises", json={"amount": "100", "due_date": due},
                              headers=api.as_("amina"))
    _field(r, "due_date")
    note = await api.client.post(f"/api/customers/{cid}/interactions", headers=api.as_("amina"), json={
        "disposition": {"status": "contacted", "reason": "promise_to_pay"}, "promised_amount": "10",
        "promised_date": due})
    _field(note, "promised_date")
    good = await api.client.post(f"/api/customers/{cid}/promises", headers=api.as_("amina"),
                                 json={"amount": "100", "due_date": (TODAY + timedelta(days=7)).isoformat()})
    assert good.status_code == 201, good.text


@pytest.mark.parametrize("due_at", ["1970-01-01T00:00:00Z", 12345, "12345", (NOW - timedelta(days=40)).isoformat(),
                                    (NOW + timedelta(days=800)).isoformat(), "2026-13-01T00:00:00Z"],
                         ids=["1970", "a number", "digits", "40 days back", "800 days ahead", "month 13"])
async def test_tasks_fall_due_from_a_month_back_to_two_years_ahead(api: ApiWorld, due_at: Any) -> None:
    _field(await api.client.post("/api/tasks", json={"due_at": due_at}, headers=api.as_("amina")), "due_at")
    made = await api.client.post("/api/tasks", json={"due_at": NOW.isoformat()}, headers=api.as_("amina"))
    assert made.status_code == 201
    moved = await api.client.patch(f"/api/tasks/{made.json()['id']}", json={"due_at": due_at},
                                   headers=api.as_("amina"))
    _field(moved, "due_at")


@pytest.mark.parametrize("at", ["2001-05-05T10:00:00+03:00", (NOW - timedelta(hours=1)).isoformat(),
                                (NOW + timedelta(days=400)).isoformat(), 1_900_000_000],
                         ids=["2001", "an hour ago", "400 days ahead", "a number"])
async def test_callbacks_are_in_the_coming_year(api: ApiWorld, dialer_client: httpx.AsyncClient, at: Any) -> None:
    cid = (await api.customer())["id"]
    _field(await dialer_client.post("/api/dialer/callbacks", json={"at": at, "customer_id": cid},
                                    headers=api.as_("amina")), "at")
    note = await api.client.post(f"/api/customers/{cid}/interactions", headers=api.as_("amina"), json={
        "disposition": {"status": "contacted", "reason": "call_back"}, "callback_at": at})
    _field(note, "callback_at")


@pytest.mark.parametrize("email", ["amina@", "amina", "a b@example.com", "amina@@example.com", "amina@localhost"])
async def test_badly_formed_emails(api: ApiWorld, email: str) -> None:
    r = await api.client.post("/api/customers", json={"name": "Amina", "phone": "0712345678", "email": email},
                              headers=api.as_("sup"))
    _field(r, "email")
    cid = (await api.customer())["id"]
    _field(await api.client.patch(f"/api/customers/{cid}", json={"email": email}, headers=api.as_("sup")), "email")
    contact = await api.client.post(f"/api/customers/{cid}/contacts", headers=api.as_("amina"),
                                    json={"name": "Kin", "phone": "0722000111", "email": email})
    _field(contact, "email")


@pytest.mark.parametrize("name", ["\u202eevil.exe", "Am\u200bina", "Amina\u200d", "Bell\x07", "Line\u2028Break",
                                  "\u2066Isolated\u2069", "Tab\there"])
async def test_invisible_and_control_characters_in_names(api: ApiWorld, name: str) -> None:
    r = await api.client.post("/api/customers", json={"name": name, "phone": "0712345678"}, headers=api.as_("sup"))
    assert "invisible or control" in _field(r, "name")
    cid = (await api.customer())["id"]
    contact = await api.client.post(f"/api/customers/{cid}/contacts", headers=api.as_("amina"),
                                    json={"name": name, "phone": "0722000111"})
    _field(contact, "name")
    user = await api.client.patch("/api/users/brian", json={"display_name": name}, headers=api.as_("admin"))
    _field(user, "display_name")


async def test_names_in_any_script_are_fine(api: ApiWorld) -> None:
    names = ("Zoë Achieng'", "Wanjiku Kamau-Otieno", "محمد علي", "王芳", "O'Brien Jr.")
    for n, name in enumerate(names):
        r = await api.client.post("/api/customers", json={"name": name, "phone": f"071234567{n}"},
                                  headers=api.as_("sup"))
        assert r.status_code == 201, r.text


@pytest.mark.parametrize("phone", ["+254712345678 ext 5", "0712345678 x5", "0712345678#12", "+254712345678;ext=5"])
async def test_a_phone_extension_is_refused_not_dropped(api: ApiWorld, dialer_client: httpx.AsyncClient,
                                                        phone: str) -> None:
    r = await api.client.post("/api/customers", json={"name": "Amina", "phone": phone}, headers=api.as_("sup"))
    assert "extension" in _field(r, "phone")
    others = await api.client.post("/api/customers", headers=api.as_("sup"),
                                   json={"name": "Amina", "phone": "0712345678", "phones": [phone]})
    _field(others, "phones.0")
    cid = (await api.customer())["id"]
    _field(await api.client.post(f"/api/customers/{cid}/contacts", json={"name": "Kin", "phone": phone},
                                 headers=api.as_("amina")), "phone")
    approval = await dialer_client.post("/api/approvals", json={"number": phone, "reason": "new", "customer_id": cid},
                                        headers=api.as_("amina"))
    _field(approval, "number")


async def test_work_goes_to_agents_and_supervisors_never_to_an_admin(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    task = await api.client.post("/api/tasks", json={"due_at": NOW.isoformat(), "assignee": "admin"},
                                 headers=api.as_("amina"))
    assert "admin" in _field(task, "assignee")
    promise = await api.client.post(f"/api/customers/{cid}/promises", headers=api.as_("amina"), json={
        "amount": "10", "due_date": (TODAY + timedelta(days=2)).isoformat(), "assignee": "admin"})
    _field(promise, "assignee")
    note = await api.client.post(f"/api/customers/{cid}/interactions", headers=api.as_("amina"), json={
        "channel": "note", "comments": "x", "follow_up": {"assignee": "admin", "due_at": NOW.isoformat()}})
    _field(note, "follow_up.assignee")
    for assignee in ("brian", "sup"):  # another agent, or a supervisor, is fine
        ok = await api.client.post("/api/tasks", json={"due_at": NOW.isoformat(), "assignee": assignee},
                                   headers=api.as_("amina"))
        assert ok.status_code == 201, ok.text
