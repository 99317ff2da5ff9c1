"""Configuration with history through the API, on SQLite and PostgreSQL: versions with who, when and a
comment; the shipped files are version 1 and are never written; diff, restore; forms' documents and
YAML text validated (the YAML's errors by line); a retired disposition refused on new notes but
readable on old ones; compliance pack overrides."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from agent_ui.components.supervision import compliance_pack
from domain.events import ConfigChanged
from tests.api.conftest import ApiWorld, assert_error_shape
from tests.bus.conftest import eventually
from tests.supervision.conftest import get_json


def _fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode) for p in sorted(folder.iterdir())}


async def _versions(world: ApiWorld, name: str) -> dict[str, Any]:
    result: dict[str, Any] = await get_json(world, f"/api/config/lists/{name}/versions")
    return result


async def test_edits_are_versions_and_the_files_are_never_written(sup_world: ApiWorld) -> None:
    api = sup_world
    files = _fingerprint(api.settings.config_dir)
    changes: list[ConfigChanged] = []

    async def heard(event: ConfigChanged) -> None:
        changes.append(event)

    assert api.services.bus is not None
    api.services.bus.subscribe(ConfigChanged, heard, group="test-config-changes")
    first = await _versions(api, "pause_codes")
    assert first["current"] == 1
    assert first["items"][0] | {"created_at": None} == {"version": 1, "comment": "shipped defaults", "author": None,
                                                        "created_at": None, "restored_from": None}
    v1 = await get_json(api, "/api/config/lists/pause_codes/versions/1")
    assert v1["text"] == (api.settings.config_dir / "pause_codes.yaml").read_text()  # the file as shipped
    codes = v1["document"]["pause_codes"]
    body = {"document": {"pause_codes": [*codes, {"code": "coaching", "label": "Coaching"}]},
            "comment": "coaching sessions", "base_version": 1}
    saved = await api.client.post("/api/config/lists/pause_codes/versions", json=body, headers=api.as_("admin"))
    assert saved.status_code == 201, saved.text
    assert (saved.json()["version"], saved.json()["author"], saved.json()["comment"]) == (2, "admin",
                                                                                       "coaching sessions")
    assert api.services.lists.pause_code("coaching").label == "Coaching"  # in force on this worker at once
    await eventually(lambda: [(c.name, c.version) for c in changes] == [("pause_codes", 2)])
    # a second editor who started from version 1 does not overwrite version 2
    stale = await api.client.post("/api/config/lists/pause_codes/versions", json=body, headers=api.as_("admin"))
    assert "version" in assert_error_shape(stale, 409, "conflict")["details"]
    # the old PUT is a version too
    put = await api.client.put("/api/config/lists/pause_codes", headers=api.as_("admin"),
                               json={"pause_codes": [*codes, {"code": "coaching", "label": "Coaching (1:1)"}]})
    assert put.status_code == 200, put.text
    listed = await _versions(api, "pause_codes")
    assert [(i["version"], i["author"]) for i in listed["items"]] == [(3, "admin"), (2, "admin"), (1, None)]
    diff = await get_json(api, "/api/config/lists/pause_codes/diff", **{"from": 1, "to": 3})
    assert "+- code: coaching" in diff["lines"] and "+  label: Coaching (1:1)" in diff["lines"]
    assert diff["changed"] == 2
    restored = await api.client.post("/api/config/lists/pause_codes/versions/1/restore", json={},
                                     headers=api.as_("admin"))
    assert restored.status_code == 201, restored.text
    assert (restored.json()["version"], restored.json()["restored_from"]) == (4, 1)
    assert restored.json()["comment"] == "restored version 1"
    assert "coaching" not in [p.code for p in api.services.lists.pause_codes.pause_codes]
    assert _fingerprint(api.settings.config_dir) == files  # nothing written, not even a mode


async def test_who_may_read_and_write_versions(sup_world: ApiWorld) -> None:
    api = sup_world
    body = {"document": {"pause_codes": [{"code": "lunch", "label": "Lunch"}]}}
    for user in ("sup", "amina"):
        refused = await api.client.post("/api/config/lists/pause_codes/versions", json=body, headers=api.as_(user))
        assert_error_shape(refused, 403, "permission-denied")
    assert_error_shape(await api.client.get("/api/config/lists/pause_codes/versions", headers=api.as_("amina")), 403)
    one = await api.client.get("/api/config/lists/pause_codes/versions/1", headers=api.as_("amina"))
    assert one.status_code == 200  # the desktop reads a new version when told about it
    assert_error_shape(await api.client.get("/api/config/lists/pause_codes/versions/9", headers=api.as_("sup")), 404)
    assert_error_shape(await api.client.get("/api/config/lists/nope/versions", headers=api.as_("sup")), 404)
    both = {"document": {"pause_codes": []}, "text": "pause_codes: []"}
    assert_error_shape(await api.client.post("/api/config/lists/pause_codes/versions", json=both,
                                             headers=api.as_("admin")), 422)


async def test_yaml_text_is_validated_line_by_line(sup_world: ApiWorld) -> None:
    api = sup_world
    text = ("# pause codes, edited by hand\n"
            "pause_codes:\n"
            "  - {code: lunch, label: Lunch}\n"
            "  - {code: Bad Code, label: Broken}\n"
            "  - code: coffee\n"
            "    label: ''\n")
    refused = await api.client.post("/api/config/lists/pause_codes/versions", json={"text": text},
                                    headers=api.as_("admin"))
    details = assert_error_shape(refused, 422, "validation-failed")["details"]
    assert {(line["line"], line["key"]) for line in details["lines"]} == {(4, "pause_codes.1.code"),
                                                                          (6, "pause_codes.2.label")}
    syntax = await api.client.post("/api/config/lists/pause_codes/versions", headers=api.as_("admin"),
                                   json={"text": "pause_codes:\n  - {code: lunch, label: Lunch\n"})
    [problem] = assert_error_shape(syntax, 422)["details"]["lines"]
    assert problem["key"] == "(syntax)" and problem["line"] == 3
    good = text.replace("Bad Code", "bad_code").replace("label: ''", "label: Coffee")
    saved = await api.client.post("/api/config/lists/pause_codes/versions", json={"text": good, "comment": "by hand"},
                                  headers=api.as_("admin"))
    assert saved.status_code == 201, saved.text
    assert saved.json()["text"] == good  # kept as written, comments and all
    assert [p.code for p in api.services.lists.pause_codes.pause_codes] == ["lunch", "bad_code", "coffee"]
    crossed = await api.client.post("/api/config/lists/dialer/versions", headers=api.as_("admin"), json={
        "document": {**api.services.lists.dump_list("dialer"), "campaigns": [
            {"code": "other", "label": "Other", "carrier": "asterisk", "queue": "other"}]}})
    details = assert_error_shape(crossed, 422)["details"]
    assert any(key.startswith("reasons.yaml: reasons.") and "campaign" in key for key in details)


async def test_a_retired_disposition_is_refused_on_new_notes_and_readable_on_old_ones(sup_world: ApiWorld) -> None:
    api = sup_world
    cid = (await api.customer())["id"]
    note = {"disposition": {"status": "not_contacted", "reason": "switched_off", "resolution": "retry_later"}}
    old = await api.client.post(f"/api/customers/{cid}/interactions", json=note, headers=api.as_("amina"))
    assert old.status_code == 201, old.text
    tree = api.services.lists.dump_list("dispositions")
    for status in tree["statuses"]:
        for reason in status["reasons"]:
            if reason["code"] == "switched_off":
                reason["retired"] = True
                reason["label"] = "Phone switched off (old)"
    saved = await api.client.post("/api/config/lists/dispositions/versions", headers=api.as_("admin"),
                                  json={"document": tree, "comment": "retire switched_off"})
    assert saved.status_code == 201, saved.text
    refused = await api.client.post(f"/api/customers/{cid}/interactions", json=note, headers=api.as_("amina"))
    assert "retired" in assert_error_shape(refused, 422)["details"]["disposition.reason"]
    history = (await api.client.get(f"/api/customers/{cid}/interactions", headers=api.as_("amina"))).json()["items"]
    assert history[0]["disposition"]["reason"] == "switched_off"
    lists = (await api.client.get("/api/config/lists", headers=api.as_("amina"))).json()
    node = next(r for s in lists["dispositions"]["statuses"] for r in s["reasons"] if r["code"] == "switched_off")
    assert (node["label"], node["retired"]) == ("Phone switched off (old)", True)  # still there to read


async def test_compliance_overrides_are_a_versioned_list(sup_world: ApiWorld) -> None:
    api = sup_world
    assert compliance_pack(api.services).limits.max_per_day == 3  # the shipped Kenya pack
    v1 = await get_json(api, "/api/config/lists/compliance/versions/1")
    assert v1["document"] == {} and "attempts:" in v1["text"]
    bad = await api.client.post("/api/config/lists/compliance/versions", headers=api.as_("admin"),
                                json={"text": "attempts:\n  max_per_day: 0\n"})
    assert {(line["line"], line["key"]) for line in assert_error_shape(bad, 422)["details"]["lines"]} == {
        (2, "attempts.max_per_day")}
    good = await api.client.post("/api/config/lists/compliance/versions", headers=api.as_("admin"),
                                 json={"text": "attempts:\n  max_per_day: 2\n", "comment": "stricter"})
    assert good.status_code == 201, good.text
    pack = compliance_pack(api.services)
    assert (pack.limits.max_per_day, pack.limits.max_per_7d) == (2, 15)  # merged over the pack


async def test_template_preview_against_a_real_customer(sup_world: ApiWorld) -> None:
    api = sup_world
    cid = (await api.customer("Amina Wanjiru", "0712345678", client_id="JP-0042"))["id"]
    loan = {"external_ref": "L-42", "product": "Solar", "applied_amount": "30000", "principal": "30000",
            "balance": "12500.50", "start_date": "2026-01-01", "end_date": "2027-01-01", "days_past_due": 12,
            "overdue_amount": "2400", "schedule": [
                {"number": 1, "due_date": "2026-02-01", "principal": "2000", "paid_amount": "2000"},
                {"number": 2, "due_date": "2026-03-01", "principal": "2000", "interest": "400", "paid_amount": "400"}]}
    assert (await api.client.post(f"/api/customers/{cid}/loans", json=loan, headers=api.as_("sup"))).status_code == 201
    body = {"customer_id": cid, "subject": "Your {company} account",
            "body": "Dear {first_name}, pay {currency} {amount} by {due_date} (acc {account}); {grace_days_left} days."}
    response = await api.client.post("/api/config/templates/preview", json=body, headers=api.as_("admin"))
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["body"] == "Dear Amina, pay KES 2,000.00 by 2026-03-01 (acc JP-0042); {grace_days_left} days."
    assert shown["subject"] == "Your Jua Power account"
    assert shown["missing"] == ["grace_days_left"]
    unknown = await api.client.post("/api/config/templates/preview", headers=api.as_("admin"),
                                    json={**body, "body": "Hello {nickname}"})
    assert "body" in assert_error_shape(unknown, 422)["details"]
    assert_error_shape(await api.client.post("/api/config/templates/preview", json={**body, "customer_id": 999},
                                             headers=api.as_("admin")), 404)
    assert_error_shape(await api.client.post("/api/config/templates/preview", json=body, headers=api.as_("sup")), 403)
