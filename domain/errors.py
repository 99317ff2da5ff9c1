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
    │   └── ApprovalRequired             403 approval-required   (dialer.yaml approval_required: no approval)
    ├── NotFound                         404 not-found
    ├── Conflict                         409 conflict
    │   ├── ComplianceBlocked            409 compliance-blocked  (details: rule, next_allowed_at)
    │   ├── DuplicateCustomer            409 duplicate-customer  (phone or ID already on record; details: duplicates)
    │   ├── MessagingOff                 409 messaging-off       (SMS or email is not set up)
    │   └── AgentNotAvailable            409 agent-not-available
    ├── ProtocolViolation                400 protocol-violation  (malformed AMI frame, webhook, socket msg)
    │   └── SignatureInvalid             403 signature-invalid   (forged Twilio webhook, wrong M-Pesa token)
    ├── TooManyRequests                  429 too-many-requests   (sign-in limits; retry_after s)
    ├── StoreUnavailable                 503 store-unavailable   (database down or timing out)
    ├── ComponentUnavailable             503 component-unavailable (a part is not set up in this process)
    ├── CarrierError                     502 carrier-error       (Asterisk AMI or Twilio)
    │   ├── CarrierUnavailable           503 carrier-unavailable (not connected; nothing was sent)
    │   ├── CarrierRejected              502 carrier-rejected    (the carrier said no)
    │   └── DialOutcomeUnknown           202 dial-outcome-unknown (sent, no answer: never re-send)
    └── PaymentProviderError             502 payment-provider-error (M-Pesa Daraja)
        ├── PaymentProviderUnavailable   503 payment-provider-unavailable (not reached; nothing was sent)
        ├── PaymentProviderRejected      502 payment-provider-rejected (Daraja said no)
        └── PaymentOutcomeUnknown        202 payment-outcome-unknown (sent, no answer: never re-send)
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


class ApprovalRequired(PermissionDenied):
    """The dial needs a supervisor's approval (dialer.yaml ``approval_required``); details: number, rule."""

    error_id = "approval-required"


class DuplicateCustomer(Conflict):
    """A new customer's phone or government ID is already another customer's; ``details`` has
    ``duplicates`` (who has it) and the field concerned. Sent again with a reason, it is created."""

    error_id = "duplicate-customer"


class MessagingOff(Conflict):
    """A message on a channel that is not set up (no SMS provider, no SMTP server)."""

    error_id = "messaging-off"


class AgentNotAvailable(Conflict):
    error_id = "agent-not-available"


class ProtocolViolation(SwitchboardError):
    """Bytes or a form from outside did not follow the protocol; logged and rejected."""

    status = 400
    error_id = "protocol-violation"


class SignatureInvalid(ProtocolViolation):
    status = 403
    error_id = "signature-invalid"


class TooManyRequests(SwitchboardError):
    """Refused for now; ``retry_after`` seconds until it is worth trying again (``Retry-After``)."""

    status = 429
    error_id = "too-many-requests"

    def __init__(self, message: str, details: Mapping[str, Any] | None = None, *, retry_after: int = 1) -> None:
        super().__init__(message, details)
        self.retry_after = max(1, int(retry_after))


class StoreUnavailable(SwitchboardError):
    status = 503
    error_id = "store-unavailable"


class ComponentUnavailable(SwitchboardError):
    """A route needs a part of the app (the dialer, Twilio, the browser phone ...) that is not set up
    or not running in this process; ``details.component`` names it, the message says it in words."""

    status = 503
    error_id = "component-unavailable"


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


class PaymentProviderError(SwitchboardError):
    """The payment provider (Safaricom's Daraja API) failed us."""

    status = 502
    error_id = "payment-provider-error"


class PaymentProviderUnavailable(PaymentProviderError):
    """Daraja could not be reached; the request was not sent and may be made again."""

    status = 503
    error_id = "payment-provider-unavailable"


class PaymentProviderRejected(PaymentProviderError):
    """Daraja answered and refused the request (bad credentials, bad amount, busy subscriber ...)."""

    error_id = "payment-provider-rejected"


class PaymentOutcomeUnknown(PaymentProviderError):
    """A request was sent but its answer was lost (timeout, dropped connection): never re-send it."""

    status = 202
    error_id = "payment-outcome-unknown"
