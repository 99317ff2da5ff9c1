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
from store.models.presence import AgentPresence
from store.models.work import Attachment, AuditEntry, FollowUpTask, Interaction

__all__ = [
    "AgentPresence", "ApprovalStatus", "Attachment", "AttemptState", "AuditEntry", "Base",
    "CallAccessGrant", "CallRecord", "CallTask",
    "Campaign", "CampaignAgent", "Contact", "Customer", "CustomerPhone", "DialApproval", "DialAttempt",
    "FollowUpTask", "Installment", "Interaction", "Loan", "ProductSerial", "PromiseStatus",
    "PromiseToPay", "Relation", "Role", "StatementTransaction", "TaskStatus", "TxnDirection", "User",
    "utcnow",
]
