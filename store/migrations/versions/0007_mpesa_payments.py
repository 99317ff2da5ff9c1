"""M-Pesa: raw callbacks, payments (posted or in suspense), payment requests (STK push), phone hashes,
and the normalised-account expression indexes used to match a BillRefNumber

Revision ID: i19_mpesa
Revises: m16a
Create Date: 2026-12-06 14:17:29.826917
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i19_mpesa"
down_revision: str | Sequence[str] | None = "m16a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


NORMALISED_INDEXES = (
    ("ix_customers_client_id_norm", "customers", "upper(replace(client_id, ' ', ''))"),
    ("ix_loans_external_ref_norm", "loans", "upper(replace(external_ref, ' ', ''))"),
)


def upgrade() -> None:
    for name, table, expression in NORMALISED_INDEXES:
        op.create_index(name, table, [sa.text(expression)], unique=False)
    op.create_table(
        "mpesa_callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mpesa_callbacks")),
    )
    with op.batch_alter_table("mpesa_callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mpesa_callbacks_reference"), ["reference"], unique=False)
        batch_op.create_index("ix_mpesa_callbacks_status_kind", ["status", "kind"], unique=False)

    op.create_table(
        "payer_phone_hashes",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_payer_phone_hashes")),
    )
    with op.batch_alter_table("payer_phone_hashes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payer_phone_hashes_e164"), ["e164"], unique=False)

    op.create_table(
        "payment_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.String(length=80), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("account_reference", sa.String(length=12), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "SENT",
                "WAITING_PIN",
                "PAID",
                "FAILED",
                "UNKNOWN",
                name="requeststate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("open_customer_id", sa.Integer(), nullable=True),
        sa.Column("merchant_request_id", sa.String(length=64), nullable=True),
        sa.Column("checkout_request_id", sa.String(length=64), nullable=True),
        sa.Column("result_code", sa.Integer(), nullable=True),
        sa.Column("result_desc", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("receipt", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queried_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queries", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_payment_requests_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_payment_requests_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_requests")),
        sa.UniqueConstraint("checkout_request_id", name=op.f("uq_payment_requests_checkout_request_id")),
        sa.UniqueConstraint("open_customer_id", name=op.f("uq_payment_requests_open_customer_id")),
    )
    with op.batch_alter_table("payment_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_requests_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            "ix_payment_requests_customer_created", ["customer_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_payment_requests_state_sent", ["state", "sent_at"], unique=False)

    op.create_table(
        "mpesa_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payer", sa.String(length=200), nullable=True),
        sa.Column("msisdn", sa.String(length=128), nullable=True),
        sa.Column("bill_ref", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("match_how", sa.String(length=32), nullable=False),
        sa.Column("match_detail", sa.String(length=300), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.String(length=80), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_mpesa_payments_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["users.id"], name=op.f("fk_mpesa_payments_assigned_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["mpesa_callbacks.id"],
            name=op.f("fk_mpesa_payments_callback_id_mpesa_callbacks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_mpesa_payments_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["payment_requests.id"],
            name=op.f("fk_mpesa_payments_request_id_payment_requests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["statement_transactions.id"],
            name=op.f("fk_mpesa_payments_transaction_id_statement_transactions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mpesa_payments")),
        sa.UniqueConstraint("receipt", name=op.f("uq_mpesa_payments_receipt")),
    )
    with op.batch_alter_table("mpesa_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mpesa_payments_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mpesa_payments_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_mpesa_payments_status_received", ["status", "received_at"], unique=False)


def downgrade() -> None:
    for name, table, _expression in NORMALISED_INDEXES:
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("mpesa_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_mpesa_payments_status_received")
        batch_op.drop_index(batch_op.f("ix_mpesa_payments_customer_id"))
        batch_op.drop_index(batch_op.f("ix_mpesa_payments_agent_id"))

    op.drop_table("mpesa_payments")
    with op.batch_alter_table("payment_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_requests_state_sent")
        batch_op.drop_index("ix_payment_requests_customer_created")
        batch_op.drop_index(batch_op.f("ix_payment_requests_agent_id"))

    op.drop_table("payment_requests")
    with op.batch_alter_table("payer_phone_hashes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payer_phone_hashes_e164"))

    op.drop_table("payer_phone_hashes")
    with op.batch_alter_table("mpesa_callbacks", schema=None) as batch_op:
        batch_op.drop_index("ix_mpesa_callbacks_status_kind")
        batch_op.drop_index(batch_op.f("ix_mpesa_callbacks_reference"))

    op.drop_table("mpesa_callbacks")
