"""The task card of "My tasks": the task, whose customer it is, why it was set and by whom."""

from __future__ import annotations

from agent_ui.schemas.records import DispositionOut, TaskOut


class TaskCardOut(TaskOut):
    customer_name: str | None  # null for a task without a customer
    customer_client_id: str | None
    reason: str | None  # the subject of the note that set the follow-up, if it has one
    reason_disposition: DispositionOut | None  # that note's 3-layer disposition (codes of the lists)
    created_by_name: str | None  # who set it, by display name
