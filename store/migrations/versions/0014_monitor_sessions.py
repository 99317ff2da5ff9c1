"""monitor_sessions (issue 22: every live monitoring session a supervisor started, audited)

Revision ID: m22_monitor
Revises: i22_qa_reviews
Create Date: 2026-12-06 21:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "m22_monitor"
down_revision: str | Sequence[str] | None = "i22_qa_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitor_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(length=80), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure", sa.String(length=500), nullable=True),
        sa.Column("agent_notified", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_monitor_sessions_agent_id_users")),
        sa.ForeignKeyConstraint(["supervisor_id"], ["users.id"],
                                name=op.f("fk_monitor_sessions_supervisor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_sessions")),
        sa.UniqueConstraint("request_id", name=op.f("uq_monitor_sessions_request_id")),
    )
    with op.batch_alter_table("monitor_sessions") as batch:
        batch.create_index(batch.f("ix_monitor_sessions_call_id"), ["call_id"], unique=False)
        batch.create_index(batch.f("ix_monitor_sessions_supervisor_id"), ["supervisor_id"], unique=False)
        batch.create_index(batch.f("ix_monitor_sessions_started_at"), ["started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("monitor_sessions") as batch:
        batch.drop_index(batch.f("ix_monitor_sessions_started_at"))
        batch.drop_index(batch.f("ix_monitor_sessions_supervisor_id"))
        batch.drop_index(batch.f("ix_monitor_sessions_call_id"))
    op.drop_table("monitor_sessions")
