"""coordinator: release kind (package), registry of centres, imported packages

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stats_releases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="release", nullable=False)
        )
    op.create_table(
        "coordinator_centres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_name", sa.String(length=80), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registered_by"], ["users.id"], name=op.f("fk_coordinator_centres_registered_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinator_centres")),
        sa.UniqueConstraint("code", name=op.f("uq_coordinator_centres_code")),
        sa.UniqueConstraint("public_key", name=op.f("uq_coordinator_centres_public_key")),
    )
    with op.batch_alter_table("coordinator_centres", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coordinator_centres_region_code"), ["region_code"], unique=False
        )
    op.create_table(
        "coordinator_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("catalogue_version", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["coordinator_centres.id"],
            name=op.f("fk_coordinator_packages_centre_id_coordinator_centres"),
        ),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["users.id"], name=op.f("fk_coordinator_packages_imported_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinator_packages")),
        sa.UniqueConstraint(
            "centre_id", "period", name="uq_coordinator_packages_centre_period"
        ),
    )
    with op.batch_alter_table("coordinator_packages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coordinator_packages_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coordinator_packages_period"), ["period"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("coordinator_packages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coordinator_packages_period"))
        batch_op.drop_index(batch_op.f("ix_coordinator_packages_centre_id"))
    op.drop_table("coordinator_packages")
    with op.batch_alter_table("coordinator_centres", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coordinator_centres_region_code"))
    op.drop_table("coordinator_centres")
    with op.batch_alter_table("stats_releases", schema=None) as batch_op:
        batch_op.drop_column("kind")
