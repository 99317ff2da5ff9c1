"""followup_tasks.customer_id index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("followup_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followup_tasks_customer_id"), ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("followup_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_tasks_customer_id"))
