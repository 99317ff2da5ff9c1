"""Response schemas of the customer record and its parts (what :mod:`agent_ui.serialize` writes).

Every field is declared and no other is allowed (``additionalProperties: false``), so the OpenAPI
document says exactly what comes back; the routes validate their answers against these models.
Times are ISO 8601 text (``format: date-time``), days ``YYYY-MM-DD``, money a decimal string.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from store.models import ApprovalStatus, PromiseStatus, Relation, Role, TxnDirection

IsoTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
IsoDay = Annotated[str, Field(json_schema_extra={"format": "date"})]
MoneyText = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["1500.00"])]
Channel = Literal["call", "sms", "email", "visit", "note", "mpesa", "ivr"]  # mpesa, ivr: written by the system
CallDirection = Literal["inbound", "outbound"]
PromiseSource = Literal["agent", "ivr"]
RoleName = Literal[Role.AGENT, Role.SUPERVISOR, Role.ADMIN]
RelationName = Literal[Relation.CUSTOMER, Relation.GUARANTOR, Relation.RELATIONSHIP_OFFICER,
                       Relation.ALTERNATIVE_CONTACT]
PromiseState = Literal[PromiseStatus.PENDING, PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.CANCELLED]
ApprovalState = Literal[ApprovalStatus.PENDING, ApprovalStatus.APPROVED, ApprovalStatus.REFUSED,
                        ApprovalStatus.EXPIRED]


class Out(BaseModel):
    """Base of every response schema: exactly the fields declared."""

    model_config = ConfigDict(extra="forbid")


class CustomerOut(Out):
    id: int
    name: str
    phone: str | None
    phones: list[str]
    government_id: str | None
    client_id: str | None
    serial_numbers: list[str]
    timezone: str
    email: str | None
    region: str | None
    status: str | None
    campaign: str | None
    assigned_agent: str | None
    risk_score: float
    do_not_call: bool
    alt_contacts_consent: bool
    created_at: IsoTime | None
    updated_at: IsoTime | None
    # the work list (issue 15 item 10): open loans' overdue total and worst days past due, the newest
    # note, the earliest open follow-up or callback, and the newest promise's state
    overdue_amount: MoneyText
    days_past_due: int
    last_contact_at: IsoTime | None
    next_action_at: IsoTime | None
    next_action_kind: str | None
    promise_state: Literal["none", "pending", "kept", "broken", "cancelled"]


class ContactOut(Out):
    id: int
    customer_id: int
    relation: RelationName
    name: str
    relationship: str | None
    phone: str
    email: str | None
    created_at: IsoTime | None
    removed_at: IsoTime | None  # a removed contact is kept for history, never dialled or messaged


class InstallmentOut(Out):
    number: int
    due_date: IsoDay | None
    principal: MoneyText | None
    interest: MoneyText | None
    total: MoneyText | None
    paid_amount: MoneyText | None
    paid_at: IsoTime | None


class LoanOut(Out):
    id: int
    external_ref: str
    product: str
    applied_amount: MoneyText | None
    principal: MoneyText | None
    interest_amount: MoneyText | None
    balance: MoneyText | None
    start_date: IsoDay | None
    end_date: IsoDay | None
    days_past_due: int
    overdue_amount: MoneyText | None
    status: str
    currency: str
    schedule: list[InstallmentOut]


class TransactionOut(Out):
    id: int
    external_ref: str
    loan_id: int | None
    posted_at: IsoTime | None
    direction: Literal[TxnDirection.CREDIT, TxnDirection.DEBIT]
    kind: str
    amount: MoneyText | None
    receipt_code: str | None
    description: str | None
    running_balance: MoneyText | None = None  # in a statement: the balance after this line


class PromiseOut(Out):
    id: int
    customer_id: int
    loan_id: int | None
    amount: MoneyText | None
    due_date: IsoDay | None
    assignee: str | None
    created_by: str | None
    interaction_id: int | None
    notes: str | None
    status: PromiseState
    paid_amount: MoneyText | None
    matched_transaction_id: int | None
    settled_at: IsoTime | None
    created_at: IsoTime | None
    source: PromiseSource


class PostedTransactionOut(TransactionOut):
    applied_to_promises: list[PromiseOut]


class TaskOut(Out):
    id: int
    customer_id: int | None
    assignee: str | None
    kind: str
    due_at: IsoTime | None
    instructions: str | None
    done: bool
    done_at: IsoTime | None
    interaction_id: int | None
    created_by: str | None
    created_at: IsoTime | None


class DispositionOut(Out):
    status: str | None
    reason: str | None
    resolution: str | None


class InteractionOut(Out):
    id: int
    customer_id: int
    channel: Channel
    direction: CallDirection | None
    operator: str | None
    created_at: IsoTime | None
    call_id: str | None
    activity_type: str | None
    reason_code: str | None
    disposition: DispositionOut
    action: str | None
    contact_id: int | None
    call_result: str | None
    call_status: str | None
    status_action: str | None
    party_response: str | None
    promised_amount: MoneyText | None
    promised_date: IsoDay | None
    visit_date: IsoDay | None
    callback_at: IsoTime | None
    comments: str | None
    client_status: str | None
    send_message: bool
    message_template: str | None
    message_body: str | None
    message_sent: bool | None
    purpose: str | None
    subject: str | None
    detail: str | None
    call_outcome: str | None
    customer_mood: str | None
    complete: bool | None



class AttachmentOut(Out):
    id: int
    customer_id: int
    interaction_id: int | None
    kind: Literal["document", "payment_confirmation"]
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str | None
    created_at: IsoTime | None
    url: str


class UserOut(Out):
    id: int
    username: str
    display_name: str
    role: RoleName
    extension: str | None
    queues: list[str]
    active: bool
    failed_logins: int
    locked_until: IsoTime | None
    timezone: str | None = Field(description="the zone the user reads and enters times in; null: the centre's")


class LastInteractionOut(Out):
    id: int
    at: IsoTime | None
    channel: Channel
    operator: str | None
    disposition: DispositionOut
    subject: str | None
    comments: str | None


class SummaryOut(Out):
    overdue_amount: MoneyText | None
    days_past_due: int
    total_balance: MoneyText | None
    open_promise: PromiseOut | None
    last_interaction: LastInteractionOut | None


class RecordOut(CustomerOut):
    """The whole record: the customer, how the caller may open it, and every part."""

    access: Literal["role", "assigned", "call", "task"]
    summary: SummaryOut
    loans: list[LoanOut]
    statement: list[TransactionOut]
    contacts: list[ContactOut]
    removed_contacts: list[ContactOut]  # kept for history (issue 15 item 11)
    interactions: list[InteractionOut]
    promises: list[PromiseOut]
    tasks: list[TaskOut]
    attachments: list[AttachmentOut]
