"""Access-matrix rows for the ivr routes (see tests/api/test_access_matrix.py)."""

from __future__ import annotations

from tests.api.matrix_rule import Rule

# Path parameters these rows need, beyond the core ones (customer_id, username, name, ...). The matrix's app
# has no recorded prompts (every prompt name is 404 there): "EN" is refused by the path's pattern (422), which
# shows that the route asks for no token; tests/ivr_twilio/test_prompts_and_panel.py serves a real one.
IDS: dict[str, str] = {"language": "EN"}

ROWS: dict[tuple[str, str], Rule] = {
    ("POST", "/twilio/ivr"): Rule("twilio"),
    ("GET", "/ivr/prompts/{language}/{name}.wav"): Rule("public"),  # Twilio's <Play> fetches it without a token
    ("GET", "/api/ivr/wallboard"): Rule("supervisor"),
}
