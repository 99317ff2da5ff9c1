"""Serving the app with uvicorn: sockets closed with 1001 and a bounded graceful shutdown.

On SIGTERM uvicorn stops accepting, asks every connection to shut down (WebSockets get 1012) and
waits for them. We first close our own sockets with 1001 (going away), so that pages reconnect to
whichever worker is up, and we bound the wait (``graceful_seconds``), so that the process ends
within a few seconds whatever a client does.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
import uvicorn.config
from fastapi import FastAPI

from agent_ui.ws import UVICORN_WS, UVICORN_WS_DEFLATE, socket_registry

GRACEFUL_SECONDS = 2


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await socket_registry(self._app).close_all(code=1001, reason="server shutting down")
        await super().shutdown(sockets)


def serve(app: FastAPI, host: str, port: int, *, graceful_seconds: int = GRACEFUL_SECONDS,
          log_config: dict[str, Any] | None = None) -> None:
    """Run ``app`` until SIGTERM/SIGINT (blocking). ``log_config``: the process's logging
    (:func:`runtime.logging.logging_config`), applied once by uvicorn for its loggers and ours."""
    config = uvicorn.Config(app, host=host, port=port, log_level=None if log_config else "info", ws=UVICORN_WS,
                            ws_per_message_deflate=UVICORN_WS_DEFLATE,
                            timeout_graceful_shutdown=graceful_seconds,
                            log_config=log_config if log_config is not None else uvicorn.config.LOGGING_CONFIG)
    _Server(config, app).run()
