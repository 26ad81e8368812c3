"""release revocation: the signed revocation document, its signature and the reason's salt

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 11:00:00

Releases revoked before this revision have no signed revocation: their JSON export says
"revoked" and fails verification (there is no key in a migration to sign them afterwards).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stats_releases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revocation", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("revocation_signature", sa.LargeBinary(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("revocation_salt", sa.LargeBinary(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stats_releases", schema=None) as batch_op:
        batch_op.drop_column("revocation_salt")
        batch_op.drop_column("revocation_signature")
        batch_op.drop_column("revocation")
