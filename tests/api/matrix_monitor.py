"""Access-matrix rows for live monitoring (issue 22; see tests/api/test_access_matrix.py)."""

from __future__ import annotations

from tests.api.matrix_rule import Rule

IDS: dict[str, str] = {"session_id": "1"}

ROWS: dict[tuple[str, str], Rule] = {
    ("POST", "/api/monitor"): Rule("supervisor", {"call_id": "default/1.1", "mode": "listen"}),
    ("POST", "/api/monitor/{session_id}/stop"): Rule("supervisor"),
    ("GET", "/api/monitor"): Rule("supervisor"),
}
