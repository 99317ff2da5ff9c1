"""Access-matrix rows for QA scoring (issue 22; see tests/api/test_access_matrix.py).

Reviews of another agent answer 404 (tests/qa/test_qa_api.py proves it with a stored review)."""

from __future__ import annotations

from tests.api.matrix_rule import Rule

IDS: dict[str, str] = {"review_id": "1"}

ROWS: dict[tuple[str, str], Rule] = {
    ("GET", "/api/qa/to-score"): Rule("supervisor"),
    ("POST", "/api/qa/reviews"): Rule("supervisor", {"call_id": "matrix-call", "answers": {}}),
    ("GET", "/api/qa/reviews"): Rule("signed_in"),  # an agent sees only their own
    ("GET", "/api/qa/reviews/{review_id}"): Rule("signed_in"),  # another agent's: 404
    ("POST", "/api/qa/reviews/{review_id}/acknowledge"): Rule("signed_in"),  # only the agent scored
    ("GET", "/api/reports/qa"): Rule("supervisor"),
}
