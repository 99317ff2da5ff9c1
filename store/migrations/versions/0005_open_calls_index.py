"""call_records: a partial index on the open calls of each server (failover reconciliation)

Revision ID: i21_open_calls
Revises: i13_security
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i21_open_calls"
down_revision: str | Sequence[str] | None = "i13_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_call_records_open", "call_records", ["server"], unique=False,
                    postgresql_where=sa.text("ended_at IS NULL"), sqlite_where=sa.text("ended_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_call_records_open", table_name="call_records")
