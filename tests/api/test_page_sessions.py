"""The pages follow the session too (issue 13, item 2): after sign-out the cookie no longer opens a
page, and a supervisor demoted to agent is sent from the supervisor page to the desktop."""

from __future__ import annotations

from tests.api.conftest import ApiWorld


async def _page(api: ApiWorld, path: str, token: str) -> tuple[int, str]:
    r = await api.client.get(path, cookies={"sb_token": token})
    return r.status_code, r.headers.get("location", "")


async def test_a_signed_out_cookie_opens_no_page(api: ApiWorld) -> None:
    token = api.tokens["amina"]
    assert (await _page(api, "/", token))[0] == 200
    out = await api.client.post("/api/auth/logout", cookies={"sb_token": token})
    assert out.status_code == 200
    assert await _page(api, "/", token) == (303, "/login?next=%2F")


async def test_a_demoted_supervisor_is_sent_from_the_supervisor_page(api: ApiWorld) -> None:
    assert (await _page(api, "/supervisor", api.tokens["sup"]))[0] == 200
    demoted = await api.client.patch("/api/users/sup", json={"role": "agent"}, headers=api.as_("admin"))
    assert demoted.status_code == 200
    login = await api.client.post("/api/auth/login", json={"username": "sup", "password": "super-pass-1"})
    assert await _page(api, "/supervisor", login.json()["token"]) == (303, "/")  # an agent now
    assert (await _page(api, "/supervisor", api.tokens["sup"]))[1].startswith("/login")  # the old session ended
