"""The OpenAPI document, made to tell the truth about errors and sign-in.

FastAPI documents a 422 with its own ``HTTPValidationError`` body, which we never send. This
replaces it with our one error shape (:class:`agent_ui.schemas.replies.ErrorOut`), documents every
other error status as the ``default`` response in that shape (401, 403, 404, 405, 409, 413, 429,
503 ...), and says which operations need the Bearer token. Success bodies come from each route's
``response_model``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from agent_ui.schemas.replies import ErrorOut

# Operations that need no token (Twilio's are signed instead).
PUBLIC = {("post", "/api/auth/login"), ("post", "/api/auth/logout"), ("get", "/api/health")}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def truthful(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a FastAPI document in place (see the module doc); returns it."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                                 "description": "POST /api/auth/login gives the token"}}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _error("Invalid input: ``details`` names each field")
            responses["default"] = _error("An error, in the one error shape (401, 403, 404, 409, 413, 429, 503 ...)")
            if (method, path) not in PUBLIC and not path.startswith("/twilio/"):
                operation["security"] = [{"bearer": []}]
    return document


def install_openapi(app: FastAPI) -> None:
    """``app.openapi()`` (and ``/openapi.json``) gives the rewritten document, made once."""
    original: Callable[[], dict[str, Any]] = app.openapi
    done: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        document = original()
        if done.get("document") is not document:  # FastAPI made it anew (routes changed)
            done["document"] = truthful(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
