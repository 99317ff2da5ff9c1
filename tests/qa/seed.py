"""Recorded calls for the QA tests, written straight into the store (the recordings feature's own
tests cover how they get there)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from store.db import Database
from store.models import CallRecord, DialAttempt, Interaction, Recording, RecordingStatus

# Answers to the default collections scorecard, and their score worked by hand:
# greeting yes 5/5, right party yes 10/10, disclosure no 0/10, balance 4 of 5 -> 8/10, negotiation
# 3 of 5 -> 9/15, hardship N/A (out of the denominator), promise yes 15/15, note yes 10/10, courtesy
# 5 of 5 -> 15/15: 72 earned of 90 possible = 80.0.
ANSWERS_80: dict[str, Any] = {
    "greeting": "yes", "right_party_check": "yes", "disclosure": "no", "balance_explained": 4, "negotiation": 3,
    "hardship_handled": "na", "promise_captured": "yes", "note_complete": "yes", "courtesy": 5,
    "threatened_customer": "no", "third_party_disclosure": "no", "abusive_language": "no"}
ANSWERS_100: dict[str, Any] = {
    "greeting": "yes", "right_party_check": "yes", "disclosure": "yes", "balance_explained": 5, "negotiation": 5,
    "hardship_handled": "yes", "promise_captured": "yes", "note_complete": "yes", "courtesy": 5,
    "threatened_customer": "no", "third_party_disclosure": "no", "abusive_language": "no"}
ANSWERS_THREAT = {**ANSWERS_80, "threatened_customer": "yes"}


async def recorded_call(database: Database, call_id: str, agent_id: int, at: datetime, *, talk: int = 120,
                        customer_id: int | None = None, recorded: bool = True, dispute: bool = False,
                        blocked_before: str | None = None) -> None:
    async with database.session() as s:
        attempt = None
        if blocked_before is not None:
            attempt = call_id
            s.add(DialAttempt(id=call_id, customer_id=customer_id, agent_id=agent_id, number_e164="+254712345678",
                              requested_at=at, details={"reason": "overdue_loan", "blocked_before": blocked_before}))
            await s.flush()
        s.add(CallRecord(call_id=call_id, direction="outbound" if attempt else "inbound", agent_id=agent_id,
                         customer_id=customer_id, attempt_id=attempt, offered_at=at, answered_at=at + timedelta(seconds=5),
                         ended_at=at + timedelta(seconds=5 + talk), talk_seconds=talk, ivr=[], abandoned=False))
        if recorded:
            s.add(Recording(call_id=call_id, external_ref=f"rec-{call_id}", status=RecordingStatus.STORED,
                            agent_id=agent_id, storage_key=f"{call_id}.wav", started_at=at, duration_ms=talk * 1000))
        if dispute and customer_id is not None:
            s.add(Interaction(customer_id=customer_id, channel="call", operator_id=agent_id, call_id=call_id,
                              created_at=at + timedelta(seconds=talk + 10), disposition_status="contacted",
                              disposition_reason="dispute", comments="says the loan was repaid"))
