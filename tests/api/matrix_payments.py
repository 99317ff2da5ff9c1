"""Access-matrix rows for the payments routes (see tests/api/test_access_matrix.py)."""

from __future__ import annotations

from tests.api.matrix_rule import Rule

# Path parameters these rows need, beyond the core ones (customer_id, username, name, ...).
IDS: dict[str, str] = {"request_id": "1", "payment_id": "1", "token": "not-the-callback-token"}

ROWS: dict[tuple[str, str], Rule] = {
    ("GET", "/api/payments/status"): Rule("signed_in"),
    ("GET", "/api/customers/{customer_id}/payment-requests"): Rule("customer"),
    ("POST", "/api/customers/{customer_id}/payment-requests"): Rule("customer", {"amount": "100"}),
    ("GET", "/api/payment-requests/{request_id}"): Rule("owned"),
    ("GET", "/api/payments/suspense"): Rule("supervisor"),
    ("POST", "/api/payments/suspense/{payment_id}/assign"): Rule("supervisor", {"customer_id": 1}),
    ("GET", "/api/reports/payments"): Rule("supervisor"),
    # Daraja does not sign: the secret token is the last path segment. The matrix's server has no M-Pesa
    # settings, so every callback there is 404 before anything is read (a wrong token is 403 when configured).
    ("POST", "/webhooks/mpesa/c2b/validation/{token}"): Rule("webhook", refused=404),
    ("POST", "/webhooks/mpesa/c2b/confirmation/{token}"): Rule("webhook", refused=404),
    ("POST", "/webhooks/mpesa/stk/{token}"): Rule("webhook", refused=404),
}
