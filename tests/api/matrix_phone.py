"""Access-matrix rows for the phone routes (see tests/api/test_access_matrix.py): the browser phone,
the recordings and the one call log (``GET /api/calls``)."""

from __future__ import annotations

from tests.api.matrix_rule import Rule

# Path parameters these rows need, beyond the core ones (customer_id, username, name, ...).
IDS: dict[str, str] = {"recording_id": "1"}

ROWS: dict[tuple[str, str], Rule] = {
    # the browser phone: each user's own (the call controls act only on the call the agent is on: 404 otherwise)
    ("GET", "/api/phone"): Rule("signed_in"),
    ("POST", "/api/phone/session"): Rule("signed_in"),
    ("DELETE", "/api/phone/session"): Rule("signed_in"),
    ("POST", "/api/phone/transfer"): Rule("signed_in", {"call_id": "default/1.1", "target_type": "queue",
                                                        "target": "collections"}),
    ("POST", "/api/phone/transfer/cancel"): Rule("signed_in", {"call_id": "default/1.1"}),
    ("POST", "/api/phone/actions"): Rule("signed_in", {"call_id": "default/1.1", "action": "hold"}),
    # phones of every user: the administrator's
    ("PUT", "/api/users/{username}/phone"): Rule("admin", {"kind": "desk"}),
    ("GET", "/api/phone/lines"): Rule("admin"),
    ("POST", "/api/phone/provision"): Rule("admin", {}),
    # recordings: an agent's own calls' (another's is 404, as a missing one); supervisors download
    ("GET", "/api/recordings"): Rule("signed_in"),
    ("POST", "/api/recordings/{recording_id}/play"): Rule("owned"),
    ("GET", "/api/recordings/{recording_id}/audio"): Rule("owned"),
    ("GET", "/api/recordings/{recording_id}/download"): Rule("supervisor"),
    ("POST", "/api/recordings/pause"): Rule("signed_in", {"call_id": "default/1.1", "paused": True}),
    ("POST", "/api/recordings/retention"): Rule("admin"),
    ("POST", "/twilio/recording"): Rule("twilio"),
    # the one call log: an agent's own calls, a supervisor's every call
    ("GET", "/api/calls"): Rule("signed_in"),
}
