"""``python -m uvicorn --factory tests.cti_pbx.asgi:app``: the app with its settings from SWITCHBOARD_*.

The test server processes use this rather than ``switchboard serve``, whose start-up check wants
an Alembic-migrated database; the tests' databases get their schema from the models directly.
"""

from __future__ import annotations

from fastapi import FastAPI

from agent_ui.app import create_app
from config.settings import Settings


def app() -> FastAPI:
    return create_app(Settings())
