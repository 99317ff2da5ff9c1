"""The outbox's names, in one place: its two kinds of stream and the type of every message on them.

An agent's socket reads ``agent:<username>`` (:func:`agent_stream`); the wallboard's reads
:data:`SUPERVISORS`. Each message's ``type`` is one of the names below: what the pages listen for
(``agent_ui/static/js``) and what the README's "The WebSocket" lists. Whoever appends a message takes
its stream's name and its type from here.
"""

from __future__ import annotations

from typing import Final

SUPERVISORS: Final = "supervisors"  # the wallboard's stream: every supervisor's socket reads it


def agent_stream(username: str) -> str:
    """One agent's stream (what agent_ui's WebSocket reads for that agent)."""
    return f"agent:{username}"


# --- an agent's stream ------------------------------------------------------------------------------
CALL_RINGING: Final = "call.ringing"  # the pop (live/pop.py)
CALL_ANSWERED: Final = "call.answered"
CALL_ENDED: Final = "call.ended"
DIALER_PREVIEW: Final = "dialer.preview"
DIALER_PREVIEW_CANCELLED: Final = "dialer.preview_cancelled"
DIALER_BLOCKED: Final = "dialer.blocked"
DIALER_OUTCOME: Final = "dialer.outcome"
TASK_DUE: Final = "task.due"
CONFIG_CHANGED: Final = "config.changed"
WORK_ASSIGNED: Final = "work.assigned"  # accounts a supervisor gave the agent ("added") or took ("removed")
MESSAGE_STATUS: Final = "message.status"
MESSAGE_INBOUND: Final = "message.inbound"
PAYMENT: Final = "payment"
PAYMENT_REQUEST: Final = "payment.request"
PHONE_REGISTRATION: Final = "phone.registration"
PHONE_CONTROL: Final = "phone.control"
MONITOR_NOTICE: Final = "monitor.notice"  # a supervisor listens, whispers or barged in (issue 22)

# --- both streams -----------------------------------------------------------------------------------
AGENT_STATE: Final = "agent.state"  # presence: to the agent and to the wallboard
APPROVAL_DECIDED: Final = "approval.decided"  # a manual dial's approval: to the agent and the wallboard

# --- the supervisors' stream ------------------------------------------------------------------------
WALLBOARD_QUEUE: Final = "wallboard.queue"
WALLBOARD_PROMISES: Final = "wallboard.promises"
WALLBOARD_IVR: Final = "wallboard.ivr"
APPROVAL_REQUESTED: Final = "approval.requested"
DIALER_ESCALATED: Final = "dialer.escalated"
PAYMENT_SUSPENSE: Final = "payment.suspense"
ESCALATION_RAISED: Final = "escalation.raised"
ESCALATION_UPDATED: Final = "escalation.updated"
MONITOR_STATUS: Final = "monitor.status"  # the phone system's answer to a supervisor's Listen
