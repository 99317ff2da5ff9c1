"""The one error tree of Switchboard.

Every exception our code raises on purpose is a :class:`SwitchboardError`. Library exceptions are
converted where they enter our code (``raise StoreUnavailable(...) from exc``), so callers only ever
catch these. Each class carries the HTTP ``status`` and the stable ``error_id`` that the API answers
with, and ``details`` with field-level information::

    SwitchboardError                     500 internal-error
    ├── ConfigError                      500 config-invalid      (settings or a config/ data file)
    ├── InvalidInput                     422 validation-failed   (details: {field: message})
    ├── AuthenticationRequired           401 authentication-required
    ├── PermissionDenied                 403 permission-denied
    ├── NotFound                         404 not-found
    ├── Conflict                         409 conflict
    │   ├── ComplianceBlocked            409 compliance-blocked  (details: rule, next_allowed_at)
    │   ├── ApprovalRequired             409 approval-required   (manual number not approved)
    │   └── AgentNotAvailable            409 agent-not-available
    ├── ProtocolViolation                400 protocol-violation  (malformed AMI frame, webhook, socket msg)
    │   └── SignatureInvalid             403 signature-invalid   (forged Twilio webhook)
    ├── StoreUnavailable                 503 store-unavailable   (database down or timing out)
    └── CarrierError                     502 carrier-error       (Asterisk AMI or Twilio)
        ├── CarrierUnavailable           503 carrier-unavailable (not connected; nothing was sent)
        ├── CarrierRejected              502 carrier-rejected    (the carrier said no)
        └── DialOutcomeUnknown           202 dial-outcome-unknown (sent, no answer: never re-send)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class SwitchboardError(Exception):
    """Base of the tree drawn in this module's docstring."""

    status: ClassVar[int] = 500
    error_id: ClassVar[str] = "internal-error"

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def to_body(self) -> dict[str, Any]:
        """The JSON body the API answers with."""
        return {"error_id": self.error_id, "message": self.message, "details": self.details}


class ConfigError(SwitchboardError):
    """A setting or an editable config file is invalid; ``details`` names the file and key/line."""

    error_id = "config-invalid"


class InvalidInput(SwitchboardError):
    """Input failed validation; ``details`` maps each field to its message."""

    status = 422
    error_id = "validation-failed"


class AuthenticationRequired(SwitchboardError):
    status = 401
    error_id = "authentication-required"


class PermissionDenied(SwitchboardError):
    status = 403
    error_id = "permission-denied"


class NotFound(SwitchboardError):
    status = 404
    error_id = "not-found"


class Conflict(SwitchboardError):
    status = 409
    error_id = "conflict"


class ComplianceBlocked(Conflict):
    """A dial or message was refused by the compliance gate.

    ``details`` carries ``rule`` (the rule's code) and ``next_allowed_at`` (ISO time or None).
    """

    error_id = "compliance-blocked"


class ApprovalRequired(Conflict):
    error_id = "approval-required"


class AgentNotAvailable(Conflict):
    error_id = "agent-not-available"


class ProtocolViolation(SwitchboardError):
    """Bytes or a form from outside did not follow the protocol; logged and rejected."""

    status = 400
    error_id = "protocol-violation"


class SignatureInvalid(ProtocolViolation):
    status = 403
    error_id = "signature-invalid"


class StoreUnavailable(SwitchboardError):
    status = 503
    error_id = "store-unavailable"


class CarrierError(SwitchboardError):
    status = 502
    error_id = "carrier-error"


class CarrierUnavailable(CarrierError):
    """The carrier is not connected; the request was not sent and may be retried."""

    status = 503
    error_id = "carrier-unavailable"


class CarrierRejected(CarrierError):
    error_id = "carrier-rejected"


class DialOutcomeUnknown(CarrierError):
    """A dial was sent but its outcome is unknown (drop, timeout, 5xx).

    It must never be re-sent: it is reconciled from the call's events by the attempt id.
    """

    status = 202
    error_id = "dial-outcome-unknown"
