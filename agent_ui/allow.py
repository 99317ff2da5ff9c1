"""The methods a path answers to, for the ``Allow`` header of a 405.

Starlette's router names only the methods of the first route whose path matched, but one path is
often served by several routes (``GET`` and ``POST /api/customers``); this asks every route of the
app (FastAPI's route table, included routers too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import Match


def allowed_methods(app: Any, scope: Mapping[str, Any]) -> str:
    """``"GET, HEAD, POST"``: every method some route serves on this request's path."""
    methods: set[str] = set()
    probe = {**scope, "type": "http"}
    for route in _routes(app):
        match, _ = route.matches(probe)
        if match is not Match.NONE and route.methods:
            methods.update(route.methods)
    return ", ".join(sorted(methods))


def _routes(app: Any) -> list[Any]:
    """The app's HTTP routes, listed once per app (kept on ``app.state``)."""
    found: list[Any] | None = getattr(app.state, "http_routes", None)
    if found is None:
        found = app.state.http_routes = [r for r in iter_route_contexts(app.routes) if r.methods is not None]
    return found
