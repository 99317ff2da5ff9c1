"""Access-matrix rows for the supervision routes (see tests/api/test_access_matrix.py)."""

from __future__ import annotations

from tests.api.matrix_rule import Rule

# Path parameters these rows need, beyond the core ones (customer_id, username, name, ...).
IDS: dict[str, str] = {"escalation_id": "1", "version": "1"}

ROWS: dict[tuple[str, str], Rule] = {
    ("GET", "/api/escalations"): Rule("supervisor"),
    ("POST", "/api/escalations/{escalation_id}/actions"): Rule("supervisor", {"action": "acknowledge"}),
    ("POST", "/api/escalations/scan"): Rule("supervisor"),
    ("GET", "/api/reports/escalations"): Rule("supervisor"),
    ("GET", "/api/reports/sla"): Rule("supervisor"),
    ("GET", "/api/reports/activity"): Rule("supervisor"),
    ("GET", "/api/notes"): Rule("signed_in"),  # an agent searches the notes of their own customers
    ("GET", "/api/config/lists/{name}/versions"): Rule("supervisor"),
    ("POST", "/api/config/lists/{name}/versions"): Rule("admin", {"document": {}, "comment": "matrix"}),
    ("GET", "/api/config/lists/{name}/versions/{version}"): Rule("signed_in"),
    ("POST", "/api/config/lists/{name}/versions/{version}/restore"): Rule("admin", {"comment": "matrix"}),
    ("GET", "/api/config/lists/{name}/diff"): Rule("supervisor"),
    ("POST", "/api/config/templates/preview"): Rule("admin", {"customer_id": 1, "body": "Hello {name}"}),
}
