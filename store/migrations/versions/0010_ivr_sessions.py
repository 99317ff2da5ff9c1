"""ivr sessions and promise source (issue 17: the IVR)

Revision ID: b17e4a1c9d02
Revises: a20b7c3e91d4
Create Date: 2026-12-06 14:28:59.995014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b17e4a1c9d02"
down_revision: str | Sequence[str] | None = "a20b7c3e91d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("ivr_sessions",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("call_id", sa.String(length=80), nullable=False),
    sa.Column("carrier", sa.String(length=16), nullable=False),
    sa.Column("menu", sa.String(length=64), nullable=False),
    sa.Column("caller_number", sa.String(length=32), nullable=True),
    sa.Column("customer_id", sa.Integer(), nullable=True),
    sa.Column("language", sa.String(length=16), nullable=False),
    sa.Column("identified_by", sa.String(length=16), nullable=True),
    sa.Column("verified", sa.Boolean(), nullable=True),
    sa.Column("path", sa.JSON(), nullable=False),
    sa.Column("outcome", sa.String(length=16), nullable=True),
    sa.Column("end_node", sa.String(length=64), nullable=True),
    sa.Column("abandoned", sa.Boolean(), nullable=False),
    sa.Column("queue", sa.String(length=64), nullable=True),
    sa.Column("note", sa.String(length=32), nullable=True),
    sa.Column("promise_id", sa.Integer(), nullable=True),
    sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("balance_heard", sa.Boolean(), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("duration_seconds", sa.Double(), nullable=True),
    sa.Column("step", sa.Integer(), nullable=False),
    sa.Column("state", sa.JSON(), nullable=True),
    sa.Column("pop", sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_ivr_sessions_customer_id_customers"),
                            ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["promise_id"], ["promises.id"], name=op.f("fk_ivr_sessions_promise_id_promises"),
                            ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_sessions"))
    )
    with op.batch_alter_table("ivr_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ivr_sessions_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ivr_sessions_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_ivr_sessions_started_outcome", ["started_at", "outcome"], unique=False)

    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), server_default="agent", nullable=False))



def downgrade() -> None:
    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.drop_column("source")

    with op.batch_alter_table("ivr_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_ivr_sessions_started_outcome")
        batch_op.drop_index(batch_op.f("ix_ivr_sessions_customer_id"))
        batch_op.drop_index(batch_op.f("ix_ivr_sessions_call_id"))

    op.drop_table("ivr_sessions")
