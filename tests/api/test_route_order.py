"""The carriers' webhooks are routed first (``agent_ui.wiring.carrier_routers``: fewer misses for the
requests a machine sends many times a second). That is only safe while no other route can match one
of their paths, nor theirs another's: then the order changes no answer. This checks both ways, on
the full app's routes (dialer and Twilio wired in), and that ``create_app`` does put them first."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from agent_ui.app import ROUTERS, create_app
from agent_ui.wiring import carrier_routers, component_routers
from config.settings import Settings

SETTINGS = Settings(dialer={"enabled": True}, twilio={"account_sid": "AC" + "0" * 32})


def _paths(routes: list[BaseRoute]) -> list[tuple[str, re.Pattern[str]]]:
    return [(route.path, route.path_regex) for route in routes if isinstance(route, APIRoute)]


def _sample(path: str) -> str:
    """A concrete path the template matches (every parameter a plain word)."""
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_no_other_route_matches_a_carrier_path_nor_a_carrier_route_another() -> None:
    carriers = _paths([route for router in carrier_routers() for route in router.routes])
    others = _paths([route for router in (*ROUTERS, *component_routers(SETTINGS)) for route in router.routes])
    assert {path for path, _ in carriers} >= {"/twilio/voice", "/twilio/ivr", "/twilio/status",
                                              "/webhooks/mpesa/c2b/confirmation/{token}"}
    assert len(others) > 50
    clashes = [(path, other) for path, _ in carriers for other, regex in others if regex.match(_sample(path))]
    clashes += [(other, path) for path, regex in carriers for other, _ in others if regex.match(_sample(other))]
    assert clashes == []


def test_the_app_tries_the_carrier_routes_first() -> None:
    documented = list(create_app(SETTINGS).openapi()["paths"])  # in the order the app tries them
    first = list(dict.fromkeys(path for router in carrier_routers() for path, _ in _paths(router.routes)))
    assert documented[:len(first)] == first
