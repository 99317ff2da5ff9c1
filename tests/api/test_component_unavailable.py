"""Issue 14 item 4: a route whose component does not run in this process answers 503
``component-unavailable`` with a sentence saying what is not set up (before: a 500 on one route, a
404 on another, a 503 on a third), over SQLite and PostgreSQL.

The app is production's ``create_app``, whose routes the settings decide (never what runs), with no
component started. Every route of every component module (:func:`agent_ui.wiring.component_routers`, less
the pages) is listed here: either with the component it needs, or as one that answers without it.
A new route of a component fails :func:`test_every_component_route_is_listed` until it is listed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import SecretStr

from agent_ui.app import create_app
from agent_ui.components import dialer, ivr, live, messaging, monitor, payments, phone, recordings, twilio
from agent_ui.services import UNAVAILABLE, ComponentName, Services, build_services
from store.db import Database
from store.models import Role, User
from tests.api.conftest import PASSWORDS, ROLES, _hash_for, assert_error_shape, make_settings
from tests.api.matrix_rule import SOON
from tests.twilio.helpers import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, twilio_signature

SMS_TOKEN = "sms-hook-token"
CALL = "default/1.1"
# (method, path) -> (the component it needs, who asks (None: a webhook), the body)
NEEDS: dict[tuple[str, str], tuple[ComponentName, str | None, dict[str, Any] | None]] = {
    ("PUT", "/api/agents/me/state"): ("live", "amina", {"state": "logged_out"}),
    ("GET", "/api/agents/me"): ("live", "amina", None),
    ("GET", "/api/agents"): ("live", "sup", None),
    ("GET", "/api/wallboard"): ("live", "sup", None),
    ("PUT", "/api/agents/{username}/state"): ("live", "sup", {"state": "logged_out"}),
    **{("POST", f"/twilio/{hook}"): ("twilio", None, None)
       for hook in ("voice", "status", "dial-action", "wait", "connect", "outbound", "ivr")},
    ("GET", "/api/phone"): ("phone", "amina", None),
    ("POST", "/api/phone/session"): ("phone", "amina", None),
    ("DELETE", "/api/phone/session"): ("phone", "amina", None),
    ("PUT", "/api/users/{username}/phone"): ("phone", "admin", {"kind": "desk"}),
    ("POST", "/api/phone/provision"): ("phone", "admin", {}),
    ("POST", "/api/phone/transfer"): ("phone", "amina", {"call_id": CALL, "target_type": "queue",
                                                         "target": "collections"}),
    ("POST", "/api/phone/transfer/cancel"): ("phone", "amina", {"call_id": CALL}),
    ("POST", "/api/phone/actions"): ("phone", "amina", {"call_id": CALL, "action": "hold"}),
    ("GET", "/api/recordings/{recording_id}/audio"): ("recordings", "amina", None),
    ("GET", "/api/recordings/{recording_id}/download"): ("recordings", "sup", None),
    ("POST", "/api/recordings/pause"): ("recordings", "amina", {"call_id": CALL, "paused": True}),
    ("POST", "/api/recordings/retention"): ("recordings", "admin", None),
    ("POST", "/twilio/recording"): ("recordings", None, None),
    ("GET", "/api/ivr/wallboard"): ("ivr", "sup", None),
    ("POST", "/api/monitor"): ("monitor", "sup", {"call_id": CALL}),
    ("POST", "/api/monitor/{session_id}/stop"): ("monitor", "sup", None),
    ("GET", "/api/monitor"): ("monitor", "sup", None),
    ("POST", "/api/calls"): ("dialer", "amina", {"customer_id": 0}),
    ("POST", "/api/dialer/tasks/{task_id}/dial"): ("dialer", "amina", {}),
    ("POST", "/api/dialer/tasks/{task_id}/postpone"): ("dialer", "amina", {"hours": 2}),
    ("POST", "/api/dialer/callbacks"): ("dialer", "amina", {"at": SOON}),
    ("POST", "/api/dialer/tasks"): ("dialer", "sup", {"customer_id": 0, "reason": "overdue"}),
    ("GET", "/api/dialer/status"): ("dialer", "amina", None),
    ("GET", "/api/dialer/my-queue"): ("dialer", "amina", None),
    ("POST", "/api/approvals"): ("dialer", "amina", {"number": "0712000111", "reason": "a new number",
                                                     "call_reason": "<outbound>"}),
    ("POST", "/api/approvals/{approval_id}/decision"): ("dialer", "sup", {"approve": True}),
    ("GET", "/api/approvals"): ("dialer", "sup", None),
    ("POST", "/api/customers/{customer_id}/messages"): ("messaging", "amina", {"body": "Hello"}),
    ("POST", "/api/messages/preview"): ("messaging", "amina", {"body": "Hello"}),
    ("GET", "/api/messaging/status"): ("messaging", "amina", None),
    ("POST", "/api/messages/bulk/preview"): ("messaging", "sup", {"filter": {"kind": "promises_due"},
                                                                  "template": "reminder"}),
    ("POST", "/api/messages/bulk"): ("messaging", "sup", {"filter": {"kind": "promises_due"},
                                                          "template": "reminder"}),
    ("GET", "/api/messages/bulk/{bulk_id}"): ("messaging", "sup", None),
    ("POST", "/webhooks/sms/africastalking/inbound"): ("messaging", None, None),
    ("POST", "/api/customers/{customer_id}/payment-requests"): ("payments", "amina", {}),
    ("GET", "/api/payment-requests/{request_id}"): ("payments", "amina", None),
    ("GET", "/api/payments/suspense"): ("payments", "sup", None),
    ("POST", "/api/payments/suspense/{payment_id}/assign"): ("payments", "sup", {"customer_id": 0}),
    ("POST", "/webhooks/mpesa/c2b/validation/{token}"): ("payments", None, None),
    ("POST", "/webhooks/mpesa/c2b/confirmation/{token}"): ("payments", None, None),
    ("POST", "/webhooks/mpesa/stk/{token}"): ("payments", None, None),
}
# routes of a component that answer without it (they read the store, or say "off")
WITHOUT = {
    ("GET", "/ws"), ("GET", "/api/phone/lines"), ("GET", "/api/recordings"),
    ("POST", "/api/recordings/{recording_id}/play"), ("GET", "/ivr/prompts/{language}/{name}.wav"),
    ("GET", "/api/dialer/line"), ("GET", "/api/customers/{customer_id}/messages"), ("GET", "/api/messages/bulk"),
    ("POST", "/webhooks/sms/africastalking/delivery"), ("POST", "/webhooks/sms/infobip/delivery"),
    ("GET", "/api/payments/status"), ("GET", "/api/customers/{customer_id}/payment-requests"),
    ("GET", "/api/reports/payments"),
}
WEBHOOK_FORMS: dict[str, dict[str, str]] = {
    "/twilio/voice": {"CallSid": "CA" + "1" * 32, "AccountSid": ACCOUNT_SID, "From": "+254712000111",
                      "To": "+254709000000", "CallStatus": "ringing", "Direction": "inbound"},
    "/twilio/ivr": {"CallSid": "CA" + "1" * 32, "AccountSid": ACCOUNT_SID, "Digits": "1"},
    "/twilio/recording": {"RecordingSid": "RE" + "1" * 32, "RecordingUrl": "https://api.twilio.com/r/RE1",
                          "AccountSid": ACCOUNT_SID, "RecordingStatus": "completed"},
    "/webhooks/sms/africastalking/inbound": {"from": "+254712345678", "to": "40404", "text": "Hello",
                                             "date": "2026-12-07 10:01:02", "id": "in-1"},
}
WEBHOOK_QUERIES = {"/twilio/voice": "ivr=main", "/twilio/recording": f"call_id={CALL}",
                   "/webhooks/sms/africastalking/inbound": f"token={SMS_TOKEN}"}


def component_routes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for module in (live, twilio, phone, recordings, ivr, monitor, dialer, messaging, payments):
        routers = [*module.routes(), *(payments.webhook_routes() if module is payments else [])]
        for router in routers:
            for route in router.routes:
                methods = route.methods if isinstance(route, APIRoute) else {"GET"}
                found |= {(method, route.path) for method in methods if method != "HEAD"}  # type: ignore[attr-defined]
    return found


@pytest.fixture
async def bare(database: Database, database_url: str, tmp_path: Any) -> AsyncIterator[tuple[httpx.AsyncClient,
                                                                                            Services, dict[str, str]]]:
    """Production's app with every component absent; Twilio, SMS and M-Pesa configured, so that only
    the missing component stands in the way (signatures and tokens are right)."""
    base = make_settings(database_url, tmp_path)
    settings = base.model_copy(update={
        "public_url": PUBLIC_URL,
        "twilio": base.twilio.model_copy(update={"account_sid": ACCOUNT_SID, "auth_token": SecretStr(AUTH_TOKEN)}),
        "sms": base.sms.model_copy(update={"webhook_token": SecretStr(SMS_TOKEN)}),
        "dialer": base.dialer.model_copy(update={"enabled": True}),  # its routes are served: not its component
    })
    services = build_services(settings)
    await services.start()
    users: dict[str, User] = {}
    async with services.database.session() as session:
        for name in PASSWORDS:
            users[name] = User(username=name, display_name=name.title(), role=Role(ROLES[name]),
                               password_hash=_hash_for(name), extension=f"PJSIP/{1000 + len(users)}",
                               queues=["collections"], active=True)
            session.add(users[name])
    tokens = {name: services.tokens.issue(user) for name, user in users.items()}
    app = create_app(settings, services, components=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://testserver") as client:
        yield client, services, tokens
    await services.close()


def test_every_component_route_is_listed() -> None:
    listed = set(NEEDS) | WITHOUT
    assert not set(NEEDS) & WITHOUT
    assert component_routes() - listed == set(), "list the new route in NEEDS or WITHOUT"
    assert listed - component_routes() == set(), "a listed route is gone"


def test_every_component_has_its_sentence() -> None:
    for name, sentence in UNAVAILABLE.items():
        assert sentence.endswith(".") and sentence[0].isupper() and "_" not in sentence.split("(")[0], name


async def test_a_route_whose_component_is_absent_answers_503_with_a_sentence(
        bare: tuple[httpx.AsyncClient, Services, dict[str, str]]) -> None:
    client, services, tokens = bare
    created = await client.post("/api/customers", json={"name": "Wanjiku Kamau", "phone": "0712345678",
                                                        "assigned_agent": "amina"},
                                headers={"Authorization": f"Bearer {tokens['sup']}"})
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    outbound = services.lists.call_reasons("outbound")[0].code
    answers: dict[tuple[str, str], httpx.Response] = {}
    for (method, template), (_name, user, body) in sorted(NEEDS.items()):
        path = (template.replace("{customer_id}", str(cid)).replace("{username}", "amina")
                .replace("{token}", "any-token"))
        for key in ("recording_id", "session_id", "task_id", "approval_id", "bulk_id", "request_id", "payment_id"):
            path = path.replace("{" + key + "}", "1")
        headers = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
        json = {k: (cid if v == 0 else outbound if v == "<outbound>" else v) for k, v in body.items()} \
            if body is not None else None
        query = WEBHOOK_QUERIES.get(template, "")
        url = path + (f"?{query}" if query else "")
        if user is None and template.startswith(("/twilio/", "/webhooks/sms/")):
            form = WEBHOOK_FORMS.get(template, {"CallSid": "CA" + "2" * 32, "AccountSid": ACCOUNT_SID})
            headers["X-Twilio-Signature"] = twilio_signature(PUBLIC_URL + url, form)
            answers[(method, template)] = await client.request(method, url, data=form, headers=headers)
        else:
            answers[(method, template)] = await client.request(method, url, json=json, headers=headers)
    wrong = {key: (r.status_code, r.text[:200]) for key, r in answers.items() if r.status_code != 503}
    assert wrong == {}
    for key, response in answers.items():
        name = NEEDS[key][0]
        body = assert_error_shape(response, 503, "component-unavailable")
        assert body["message"] == UNAVAILABLE[name], key
        assert body["details"] == {"component": name}, key
