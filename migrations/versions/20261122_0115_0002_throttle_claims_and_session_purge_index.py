"""throttle claims and session purge index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:15:48.019164
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_flight_until', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_last_seen_at'), ['last_seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_last_seen_at'))

    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_column('in_flight_until')
