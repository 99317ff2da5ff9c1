"""phone_lines, call_actions, recordings (issue 20: the browser phone and call recordings)

Revision ID: a20b7c3e91d4
Revises: i18_supervision
Create Date: 2026-12-06 15:25:02.503145
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a20b7c3e91d4'
down_revision: str | Sequence[str] | None = 'i18_supervision'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('call_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=80), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=128), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_call_actions_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_actions'))
    )
    with op.batch_alter_table('call_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_actions_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_actions_request_id'), ['request_id'], unique=False)

    op.create_table('phone_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('WEBRTC', 'DESK', name='phonekind', native_enum=False, length=16), nullable=False),
    sa.Column('sip_user', sa.String(length=64), nullable=True),
    sa.Column('password_digest', sa.String(length=80), nullable=True),
    sa.Column('secret_rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registered', sa.Boolean(), nullable=False),
    sa.Column('registration_status', sa.String(length=32), nullable=True),
    sa.Column('registration_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_phone_lines_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_lines')),
    sa.UniqueConstraint('sip_user', name=op.f('uq_phone_lines_sip_user')),
    sa.UniqueConstraint('user_id', name=op.f('uq_phone_lines_user_id'))
    )
    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=80), nullable=False),
    sa.Column('carrier', sa.String(length=16), nullable=False),
    sa.Column('server', sa.String(length=64), nullable=False),
    sa.Column('external_ref', sa.String(length=128), nullable=False),
    sa.Column('status', sa.Enum('REQUESTED', 'RECORDING', 'STORED', 'FAILED', 'DELETED', name='recordingstatus',
                                native_enum=False, length=16), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('device', sa.String(length=128), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('storage_key', sa.String(length=255), nullable=True),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failure', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_recordings_agent_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
    sa.UniqueConstraint('external_ref', name=op.f('uq_recordings_external_ref'))
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_recordings_status_started', ['status', 'started_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index('ix_recordings_status_started')
        batch_op.drop_index(batch_op.f('ix_recordings_request_id'))
        batch_op.drop_index(batch_op.f('ix_recordings_call_id'))
        batch_op.drop_index(batch_op.f('ix_recordings_agent_id'))

    op.drop_table('recordings')
    op.drop_table('phone_lines')
    with op.batch_alter_table('call_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_actions_request_id'))
        batch_op.drop_index(batch_op.f('ix_call_actions_call_id'))

    op.drop_table('call_actions')
