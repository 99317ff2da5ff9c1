"""Access-matrix rows for the messaging routes (see tests/api/test_access_matrix.py)."""

from __future__ import annotations

from tests.api.matrix_rule import Rule

# Path parameters these rows need, beyond the core ones (customer_id, username, name, ...).
IDS: dict[str, str] = {"bulk_id": "1"}

BULK = {"filter": {"kind": "days_past_due", "min_days": 1, "max_days": 30}, "template": "payment_reminder"}

ROWS: dict[tuple[str, str], Rule] = {
    ("POST", "/api/customers/{customer_id}/messages"): Rule("customer", {"channel": "sms", "body": "Hello"}),
    ("GET", "/api/customers/{customer_id}/messages"): Rule("customer"),
    ("POST", "/api/messages/preview"): Rule("customer_in_body", {"channel": "sms", "body": "Hello", "customer_id": 0}),
    ("GET", "/api/messaging/status"): Rule("signed_in"),
    ("POST", "/api/messages/bulk/preview"): Rule("supervisor", BULK),
    ("POST", "/api/messages/bulk"): Rule("supervisor", BULK),
    ("GET", "/api/messages/bulk/{bulk_id}"): Rule("supervisor"),
    ("GET", "/api/messages/bulk"): Rule("supervisor"),
    # the provider's token is ?token=...; without it (or with none configured) the report is refused
    ("POST", "/webhooks/sms/africastalking/delivery"): Rule("webhook", refused=403),
    ("POST", "/webhooks/sms/infobip/delivery"): Rule("webhook", refused=403),
    ("POST", "/webhooks/sms/africastalking/inbound"): Rule("webhook", refused=403),
}
