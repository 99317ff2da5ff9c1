"""contacts: removed_at and removed_by_id (issue 15 item 11: a removed contact is kept, marked removed)

Revision ID: c15d0b7e2a11
Revises: i15_work_list
Create Date: 2026-12-06 18:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c15d0b7e2a11"
down_revision: str | Sequence[str] | None = "i15_work_list"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("removed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_contacts_removed_by_id_users"), "users", ["removed_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_constraint(op.f("fk_contacts_removed_by_id_users"), type_="foreignkey")
        batch.drop_column("removed_by_id")
        batch.drop_column("removed_at")
