"""qa_reviews: supervisors' scorings of recorded calls against a scorecard (issue 22, quality scoring)

Revision ID: i22_qa_reviews
Revises: c15d0b7e2a11
Create Date: 2026-12-06 21:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i22_qa_reviews"
down_revision: str | Sequence[str] | None = "c15d0b7e2a11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qa_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=80), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("scorecard", sa.String(length=64), nullable=False),
        sa.Column("scorecard_version", sa.Integer(), nullable=False),
        sa.Column("scorecard_snapshot", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("question_comments", sa.JSON(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("auto_failed", sa.Boolean(), nullable=False),
        sa.Column("failed_questions", sa.JSON(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_qa_reviews_agent_id_users")),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], name=op.f("fk_qa_reviews_recording_id_recordings"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_qa_reviews_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_reviews")),
        sa.UniqueConstraint("call_id", "scorecard", name="uq_qa_reviews_call_scorecard"),
    )
    with op.batch_alter_table("qa_reviews") as batch:
        batch.create_index("ix_qa_reviews_agent_scored", ["agent_id", "scored_at"], unique=False)
        batch.create_index("ix_qa_reviews_scored_at", ["scored_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("qa_reviews") as batch:
        batch.drop_index("ix_qa_reviews_scored_at")
        batch.drop_index("ix_qa_reviews_agent_scored")
    op.drop_table("qa_reviews")
