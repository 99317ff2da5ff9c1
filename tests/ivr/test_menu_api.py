"""The menu is edited like the other lists: GET/PUT /api/config/lists/ivr (admins), checked first."""

from __future__ import annotations

from tests.api.conftest import ApiWorld, api  # noqa: F401 - the API world fixture


async def test_admins_edit_the_menu_and_a_bad_one_is_refused_naming_node_and_field(api: ApiWorld) -> None:  # noqa: F811
    menu = (await api.client.get("/api/config/lists/ivr", headers=api.as_("amina"))).json()
    assert menu["nodes"]["main"]["options"] == {"1": "balance", "2": "promise_amount", "3": "callback", "0": "agent"}
    forbidden = await api.client.put("/api/config/lists/ivr", json=menu, headers=api.as_("sup"))
    assert forbidden.status_code == 403
    menu["prompts"]["greeting"]["en"] = "Welcome to Jua Power, your solar partner."
    saved = await api.client.put("/api/config/lists/ivr", json=menu, headers=api.as_("admin"))
    assert saved.status_code == 200, saved.text
    assert api.services.lists.ivr.text("greeting", "en") == "Welcome to Jua Power, your solar partner."
    on_disk = (api.settings.config_dir / "ivr.yaml").read_text()
    bad = {**menu, "nodes": {**menu["nodes"], "main": {**menu["nodes"]["main"],
                                                       "options": {**menu["nodes"]["main"]["options"], "4": "nowhere"}}}}
    refused = await api.client.put("/api/config/lists/ivr", json=bad, headers=api.as_("admin"))
    assert refused.status_code == 422
    body = refused.json()
    assert body["error_id"] == "validation-failed" and "nodes.main.options.4" in body["message"]
    assert body["details"]["nodes.main.options.4"] == "no node named 'nowhere'"
    assert (api.settings.config_dir / "ivr.yaml").read_text() == on_disk
