"""Admin routes: users, the editable config lists, and the seed 004 notes reports (JSON and CSV)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from tests.api.conftest import ApiWorld, assert_error_shape


async def test_admin_creates_and_edits_users(api: ApiWorld) -> None:
    created = await api.client.post("/api/users", headers=api.as_("admin"), json={
        "username": "wanjiru", "password": "wanjiru-pass-1", "role": "agent", "extension": "PJSIP/1101",
        "queues": ["collections"]})
    assert created.status_code == 201, created.text
    assert created.json()["extension"] == "PJSIP/1101"
    login = await api.client.post("/api/auth/login", json={"username": "wanjiru", "password": "wanjiru-pass-1"})
    assert login.status_code == 200
    dup = await api.client.post("/api/users", headers=api.as_("admin"),
                                json={"username": "wanjiru", "password": "another-pass-1"})
    assert_error_shape(dup, 409, "conflict")
    taken = await api.client.post("/api/users", headers=api.as_("admin"),
                                  json={"username": "otieno", "password": "otieno-pass-1", "extension": "PJSIP/1101"})
    assert "extension" in assert_error_shape(taken, 409)["details"]
    short = await api.client.post("/api/users", headers=api.as_("admin"), json={"username": "x1", "password": "short"})
    assert "password" in assert_error_shape(short, 422)["details"]
    patched = await api.client.patch("/api/users/wanjiru", headers=api.as_("admin"), json={
        "role": "supervisor", "extension": None, "password": "changed-pass-1", "queues": []})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["role"], patched.json()["extension"]) == ("supervisor", None)
    old = await api.client.post("/api/auth/login", json={"username": "wanjiru", "password": "wanjiru-pass-1"})
    assert_error_shape(old, 401)
    new = await api.client.post("/api/auth/login", json={"username": "wanjiru", "password": "changed-pass-1"})
    assert new.json()["user"]["role"] == "supervisor"
    assert_error_shape(await api.client.patch("/api/users/ghost", json={"active": False},
                                              headers=api.as_("admin")), 404)
    assert "role" in assert_error_shape(await api.client.patch("/api/users/wanjiru", json={"role": "boss"},
                                                               headers=api.as_("admin")), 422)["details"]
    names = [u["username"] for u in (await api.client.get("/api/users", headers=api.as_("admin"))).json()["items"]]
    assert names == ["admin", "amina", "brian", "sup", "wanjiru"]


async def test_config_lists_are_read_by_all_and_edited_by_admins(api: ApiWorld) -> None:
    everything = (await api.client.get("/api/config/lists", headers=api.as_("amina"))).json()
    assert {"dispositions", "followup", "notes", "reasons", "pause_codes", "templates"} <= set(everything)
    notes = (await api.client.get("/api/config/lists/notes", headers=api.as_("amina"))).json()
    assert [p["code"] for p in notes["purposes"]] == ["sales", "credit_control", "customer_service"]
    cid = (await api.customer())["id"]
    mood = {"channel": "note", "customer_mood": "relieved"}
    before = await api.client.post(f"/api/customers/{cid}/interactions", json=mood, headers=api.as_("amina"))
    assert "customer_mood" in assert_error_shape(before, 422)["details"]
    edited = {**notes, "customer_moods": [*notes["customer_moods"], {"code": "relieved", "label": "Relieved"}]}
    saved = await api.client.put("/api/config/lists/notes", json=edited, headers=api.as_("admin"))
    assert saved.status_code == 200, saved.text
    after = await api.client.post(f"/api/customers/{cid}/interactions", json=mood, headers=api.as_("amina"))
    assert after.status_code == 201, after.text
    on_disk = (api.settings.config_dir / "notes.yaml").read_text()
    assert "relieved" not in on_disk  # saved as a version in the database; the installation's file is untouched
    versions = (await api.client.get("/api/config/lists/notes/versions", headers=api.as_("admin"))).json()
    assert [(v["version"], v["author"]) for v in versions["items"]] == [(2, "admin"), (1, None)]
    bad = {**notes, "customer_moods": [{"code": "Not A Code", "label": "x"}]}
    refused = await api.client.put("/api/config/lists/notes", json=bad, headers=api.as_("admin"))
    assert_error_shape(refused, 422, "validation-failed")
    assert (api.settings.config_dir / "notes.yaml").read_text() == on_disk
    assert (await api.client.get("/api/config/lists/notes/versions", headers=api.as_("admin"))).json()["current"] == 2
    assert_error_shape(await api.client.put("/api/config/lists/nope", json=notes, headers=api.as_("admin")), 404)


async def test_notes_reports_by_type_operator_and_customer(api: ApiWorld) -> None:
    first = (await api.customer("Alpha", "0712000101"))["id"]
    second = (await api.customer("Beta", "0712000102", agent="brian"))["id"]
    for cid, user, purpose in [(first, "amina", "credit_control"), (first, "amina", "sales"),
                               (second, "brian", "credit_control")]:
        response = await api.client.post(f"/api/customers/{cid}/interactions", headers=api.as_(user),
                                         json={"channel": "note", "purpose": purpose, "subject": f"{user} {purpose}"})
        assert response.status_code == 201
    today = datetime.now(UTC).date()
    window = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}

    async def groups(by: str, **extra: str) -> dict[str, int]:
        response = await api.client.get("/api/reports/notes", params={"by": by, **window, **extra},
                                        headers=api.as_("sup"))
        assert response.status_code == 200, response.text
        return {g["key"]: g["count"] for g in response.json()["groups"]}

    assert await groups("type") == {"credit_control": 2, "sales": 1}
    assert await groups("operator") == {"amina": 2, "brian": 1}
    assert await groups("customer") == {str(first): 2, str(second): 1}
    assert await groups("operator", key="brian") == {"brian": 1}
    exported = await api.client.get("/api/reports/notes", params={"by": "type", "format": "csv", **window},
                                    headers=api.as_("admin"))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted((r["group"], r["operator"]) for r in rows) == [
        ("credit_control", "amina"), ("credit_control", "brian"), ("sales", "amina")]
    old = await api.client.get("/api/reports/notes", params={"from": "2001-01-01", "to": "2001-01-31"},
                               headers=api.as_("sup"))
    assert old.json()["groups"] == []
    backwards = await api.client.get("/api/reports/notes", params={"from": "2001-02-01", "to": "2001-01-01"},
                                     headers=api.as_("sup"))
    assert "from" in assert_error_shape(backwards, 422)["details"]
