"""The payments component hides the webhooks' secret path segment in uvicorn's access log."""

from __future__ import annotations

import logging

from agent_ui.components.payments import HideCallbackToken


def test_the_access_log_never_shows_the_callback_token() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("196.201.214.200:4431", "POST", "/webhooks/mpesa/c2b/confirmation/s3cret-t0ken",
                                "1.1", 200), None)
    assert HideCallbackToken("s3cret-t0ken").filter(record)
    assert record.getMessage() == '196.201.214.200:4431 - "POST /webhooks/mpesa/c2b/confirmation/*** HTTP/1.1" 200'
    other = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", ("/api/health",), None)
    assert HideCallbackToken("").filter(other) and other.getMessage() == "/api/health"
