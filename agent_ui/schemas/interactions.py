"""The interaction (follow-up note) body: seed 000, 002, 003 and 004 fields by their API names."""

from __future__ import annotations

from typing import Literal

from agent_ui.schemas.common import Body, Day, DbId, LongText, Money, Str32, Str64, Str80, Str200, UtcTime
from store.repositories.interactions import FollowUpInput, InteractionInput


class DispositionBody(Body):
    """The 3-layer disposition (seed 003): codes from config/defaults/dispositions.yaml."""

    status: Str64
    reason: Str64 | None = None
    resolution: Str64 | None = None


class FollowUpBody(Body):
    assignee: Str64  # username
    due_at: UtcTime
    instructions: LongText | None = None


class InteractionBody(Body):
    channel: Literal["call", "sms", "email", "visit", "note"] = "call"
    direction: Literal["inbound", "outbound"] | None = None
    call_id: Str80 | None = None
    activity_type: Str32 | None = None  # seed 002: "No Answer", "Left Message", "Spoke to Customer"
    reason_code: Str64 | None = None  # seed 001 reason for calling
    disposition: DispositionBody | None = None
    # seed 000 follow-up notes
    action: Str32 | None = None
    contact_id: DbId | None = None
    call_result: Str64 | None = None
    call_status: Str64 | None = None
    status_action: Str64 | None = None
    party_response: Str64 | None = None
    promised_amount: Money | None = None
    promised_date: Day | None = None
    visit_date: Day | None = None
    callback_at: UtcTime | None = None
    comments: LongText | None = None
    client_status: Str64 | None = None
    send_message: bool = False
    message_template: Str64 | None = None
    message_body: LongText | None = None
    # seed 004 customer notes
    purpose: Str64 | None = None
    subject: Str200 | None = None
    detail: LongText | None = None
    call_outcome: Str64 | None = None
    customer_mood: Str64 | None = None
    complete: bool | None = None
    follow_up: FollowUpBody | None = None

    def to_input(self) -> InteractionInput:
        values = self.model_dump(exclude={"disposition", "follow_up"})
        data = InteractionInput(**values)
        if self.disposition is not None:
            data.status = self.disposition.status
            data.reason = self.disposition.reason
            data.resolution = self.disposition.resolution
        if self.follow_up is not None:
            data.follow_up = FollowUpInput(self.follow_up.assignee, self.follow_up.due_at,
                                           self.follow_up.instructions)
        return data
