"""statistics releases: frozen drafts, four-eyes approval, signatures

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("catalogue_version", sa.Integer(), nullable=False),
        sa.Column("table_ids", sa.String(length=400), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("audit", sa.Text(), nullable=False),
        sa.Column("audit_passed", sa.Boolean(), nullable=False),
        sa.Column("drafted_by", sa.Integer(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=True),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centres.id"], name=op.f("fk_stats_releases_centre_id_centres")
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by"], ["users.id"], name=op.f("fk_stats_releases_drafted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_stats_releases_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["users.id"], name=op.f("fk_stats_releases_revoked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_releases")),
    )
    with op.batch_alter_table("stats_releases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stats_releases_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_stats_releases_year"), ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stats_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stats_releases_year"))
        batch_op.drop_index(batch_op.f("ix_stats_releases_centre_id"))
    op.drop_table("stats_releases")
