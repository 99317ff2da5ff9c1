"""call access grants

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:20:10.320352
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_access_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=80), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_call_access_grants_agent_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_call_access_grants_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_access_grants")),
    )
    with op.batch_alter_table("call_access_grants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_access_agent_customer", ["agent_id", "customer_id", "until"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_call_access_grants_call_id"), ["call_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_access_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_access_grants_call_id"))
        batch_op.drop_index("ix_call_access_agent_customer")

    op.drop_table("call_access_grants")
