"""``GET /metrics``: the Prometheus exposition of this app (:mod:`runtime.metrics`).

Who may scrape (``SWITCHBOARD_METRICS__*``, :class:`config.settings.MetricsSettings`): a client on
this host (127.0.0.0/8 or ::1) when ``loopback`` is on (the default), and any client that sends
``Authorization: Bearer <token>`` when a token is set. Anyone else gets 403 ``permission-denied``.
A reverse proxy on the same host makes every client look local: turn ``loopback`` off there and
give Prometheus the token.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response

from agent_ui.deps import get_services
from config.settings import MetricsSettings
from domain.errors import PermissionDenied
from runtime.metrics import CONTENT_TYPE

EXPOSITION: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text format"}}
router = APIRouter(tags=["metrics"], responses=EXPOSITION, default_response_class=Response)


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed(settings: MetricsSettings, client_host: str | None, authorization: str | None) -> bool:
    token = settings.token.get_secret_value()
    if token and authorization is not None:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    return settings.loopback and _loopback(client_host)


@router.get("/metrics", summary="Prometheus metrics (this host, or the metrics token)")
async def metrics(request: Request) -> Response:
    services = get_services(request)
    if not allowed(services.settings.metrics, request.client.host if request.client else None,
                   request.headers.get("authorization")):
        raise PermissionDenied("metrics are served to this host, or with the metrics token",
                               {"metrics": "not allowed from here"})
    return Response(await services.metrics.render(), media_type=CONTENT_TYPE)
