"""``python -m uvicorn --factory tests.cti_pbx.asgi:app``: the app with its settings from SWITCHBOARD_*.

The test server processes use this rather than ``switchboard serve``, whose start-up check wants
an Alembic-migrated database; the tests' databases get their schema from the models directly.
Logging is configured as ``switchboard serve`` configures it (runtime/logging.py), replacing the
configuration the uvicorn command line applied, so the tests read the same log lines.
"""

from __future__ import annotations

from fastapi import FastAPI

from agent_ui.app import create_app
from config.settings import Settings
from runtime.logging import configure_logging


def app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level, settings.worker_id)
    return create_app(settings)
