"""agent time zones and the work list's summary columns and indexes (issue 15 items 9 and 10)

Revision ID: i15_work_list
Revises: b17e4a1c9d02
Create Date: 2026-12-06 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i15_work_list"
down_revision: str | Sequence[str] | None = "b17e4a1c9d02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORTS = ("overdue_amount", "days_past_due", "risk_score", "last_contact_at", "next_action_at", "promise_state")


def upgrade() -> None:
    op.add_column("users", sa.Column("timezone", sa.String(length=64), nullable=True))
    # plain ADD COLUMN (no batch copy on SQLite: that would lose the expression index of 0007)
    op.add_column("customers", sa.Column("overdue_amount", sa.Numeric(14, 2), server_default="0", nullable=False))
    op.add_column("customers", sa.Column("days_past_due", sa.Integer(), server_default="0", nullable=False))
    op.add_column("customers", sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("customers", sa.Column("next_action_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("customers", sa.Column("next_action_kind", sa.String(length=16), nullable=True))
    op.add_column("customers", sa.Column("promise_state", sa.String(length=16), server_default="none",
                                         nullable=False))
    for name in SORTS:
        op.create_index(f"ix_customers_work_{name}", "customers", [name, "id"])
    for name in ("name_lower", *SORTS):  # an agent's own list
        op.create_index(f"ix_customers_agent_{name}", "customers", ["assigned_agent_id", name, "id"])
    # the summary of the customers already in store
    from store.repositories.work_summary import refresh_sql

    op.execute(refresh_sql(None))


def downgrade() -> None:
    for name in ("name_lower", *SORTS):
        op.drop_index(f"ix_customers_agent_{name}", table_name="customers")
    for name in SORTS:
        op.drop_index(f"ix_customers_work_{name}", table_name="customers")
    for column in ("promise_state", "next_action_kind", "next_action_at", "last_contact_at", "days_past_due",
                   "overdue_amount"):
        op.drop_column("customers", column)  # SQLite 3.35+: a native DROP COLUMN, the other indexes kept
    op.drop_column("users", "timezone")
