"""All ORM models; importing this package registers every table on ``Base.metadata``."""

from store.models.access import CallAccessGrant
from store.models.accounts import (
    Installment,
    Loan,
    PromiseStatus,
    PromiseToPay,
    StatementTransaction,
    TxnDirection,
)
from store.models.base import Base, utcnow
from store.models.calls import (
    ApprovalStatus,
    AttemptState,
    CallRecord,
    CallTask,
    DialApproval,
    DialAttempt,
    TaskStatus,
)
from store.models.ivr import IvrSession
from store.models.messaging import BulkSend, Message
from store.models.monitor import MonitorSession
from store.models.payments import MpesaCallback, MpesaPayment, PayerPhoneHash, PaymentRequest
from store.models.people import (
    Campaign,
    CampaignAgent,
    Contact,
    Customer,
    CustomerPhone,
    ProductSerial,
    Relation,
    Role,
    User,
)
from store.models.phone import CallAction, PhoneKind, PhoneLine
from store.models.presence import AgentPresence
from store.models.qa import QaReview
from store.models.recordings import Recording, RecordingStatus
from store.models.supervision import AgentStateEntry, ConfigVersion, Escalation, EscalationState
from store.models.webhooks import WebhookReceipt
from store.models.work import Attachment, AuditEntry, FollowUpTask, Interaction

__all__ = [
    "AgentPresence", "AgentStateEntry", "ApprovalStatus", "Attachment", "AttemptState", "AuditEntry", "Base",
    "BulkSend", "CallAccessGrant", "CallAction", "CallRecord", "CallTask",
    "Campaign", "CampaignAgent", "ConfigVersion", "Contact", "Customer", "CustomerPhone", "DialApproval", "DialAttempt",
    "Escalation", "EscalationState", "FollowUpTask", "Installment", "Interaction", "IvrSession", "Loan", "Message",
    "MonitorSession", "MpesaCallback", "MpesaPayment", "PayerPhoneHash", "PaymentRequest", "PhoneKind", "PhoneLine",
    "ProductSerial", "PromiseStatus", "PromiseToPay", "QaReview", "Recording", "RecordingStatus", "Relation", "Role",
    "StatementTransaction", "TaskStatus", "TxnDirection", "User", "WebhookReceipt", "utcnow",
]
