"""The one error shape, ``{"error_id", "message", "details"}``, for every failure the API answers.

Our own errors carry their HTTP status (domain.errors); FastAPI's validation errors become 422
``validation-failed`` with ``{dotted.field: phrase}`` and a sentence as the message
(:mod:`domain.field_words`); routing errors (404, 405) and any other HTTP error keep their
status in the same shape; anything unexpected is logged and answered 500.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent_ui.allow import allowed_methods
from domain.errors import AuthenticationRequired, SwitchboardError, TooManyRequests
from domain.field_words import phrase, sentence

log = logging.getLogger(__name__)

_LOCATIONS = {"body", "query", "path", "header", "cookie"}
_OUR_RULE = "Value error, "  # how pydantic prefixes the ValueError of a validator


def error_body(error_id: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error_id": error_id, "message": message, "details": details or {}}


def _field(loc: tuple[Any, ...] | list[Any], error_type: str) -> str:
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    # a union's members show in the location ("literal['today']", "function-after[...]"): not a field
    parts = [p for p in parts if not (isinstance(p, str) and "[" in p)]
    if error_type == "json_invalid" or not parts:
        return "body"
    return ".".join(str(p) for p in parts)


def validation_details(exc: RequestValidationError) -> dict[str, str]:
    details: dict[str, str] = {}
    for error in exc.errors():
        error_type = str(error.get("type", ""))
        field = _field(error.get("loc", ()), error_type)
        message = str(error.get("msg", "invalid"))
        if message.startswith(_OUR_RULE):  # our rules' sentences (domain.validation) say it best
            details[field] = message.removeprefix(_OUR_RULE)
            continue
        details.setdefault(field, phrase(error_type, error.get("ctx"), message))
    return details


def validation_message(details: dict[str, str]) -> str:
    """The 422's sentence: what is wrong with the first field, and how many others there are."""
    if not details:
        return "Some of what was sent is not valid."
    key, what = next(iter(details.items()))
    more = len(details) - 1
    return sentence(key, what) + (f" {more} other field{'s' if more > 1 else ''} need{'' if more > 1 else 's'} "
                                  "a look too." if more else "")


async def _switchboard_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SwitchboardError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationRequired) else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    if exc.status >= 500:
        log.error("%s: %s %s", exc.error_id, exc.message, exc.details)
    return JSONResponse(exc.to_body(), status_code=exc.status, headers=headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = validation_details(exc)
    return JSONResponse(error_body("validation-failed", validation_message(details), details), status_code=422)


def _http_error_id(status: int) -> str:
    special = {401: "authentication-required", 403: "permission-denied", 404: "not-found",
               413: "payload-too-large", 422: "validation-failed"}
    if status in special:
        return special[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
    except ValueError:
        return "http-error"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:  # every method of the path, not only the first route's
        headers["Allow"] = allowed_methods(request.app, request.scope) or headers.get("Allow", "")
    return JSONResponse(error_body(_http_error_id(exc.status_code), message), status_code=exc.status_code,
                        headers=headers or None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal-error", "internal error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SwitchboardError, _switchboard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


class PayloadTooLarge(SwitchboardError):
    """An upload over ``settings.attachment_max_bytes``."""

    status = 413
    error_id = "payload-too-large"
