"""The app's routes are its routers' routes, mounted flat and in order (``agent_ui.app.mount_flat``):
the same document and the same answers as ``include_router``, without a branch per router to walk."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from agent_ui.app import ROUTERS, create_app
from agent_ui.wiring import carrier_routers, component_routers
from config.settings import Settings

SETTINGS = Settings(dialer={"enabled": True}, twilio={"account_sid": "AC" + "0" * 32})


def _routers(settings: Settings) -> list[APIRouter]:
    return [*carrier_routers(), *ROUTERS, *component_routers(settings)]


def _included(settings: Settings) -> FastAPI:
    """The same routers through ``include_router``: what the flat app must equal."""
    reference = FastAPI()
    for router in _routers(settings):
        reference.include_router(router)
    return reference


def _key(route: BaseRoute) -> tuple[str, str, tuple[str, ...]]:
    return (getattr(route, "path", ""), getattr(route, "name", ""), tuple(sorted(getattr(route, "methods", None) or ())))


def test_every_route_of_every_router_is_in_the_app_once_and_in_order() -> None:
    app = create_app(SETTINGS)
    expected = [_key(route) for router in _routers(SETTINGS) for route in router.routes]
    own = [_key(route) for route in FastAPI().routes]  # the docs and the document
    assert [_key(route) for route in app.routes] == own + expected
    assert sum(isinstance(route, APIRoute) for route in app.routes) > 100


def test_the_document_is_the_one_include_router_gives() -> None:
    app = create_app(SETTINGS)
    reference = _included(SETTINGS)
    flat = get_openapi(title=app.title, version=app.version, routes=app.routes)
    included = get_openapi(title=app.title, version=app.version, routes=reference.routes)
    assert flat == included
    assert len(flat["paths"]) > 100
