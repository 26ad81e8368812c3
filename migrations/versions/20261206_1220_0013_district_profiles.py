"""district profiles (population figures per district and year)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "district_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("columns", sa.String(length=400), nullable=False),
        sa.Column("district_count", sa.Integer(), nullable=False),
        sa.Column("population_total", sa.BigInteger(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centres.id"], name=op.f("fk_district_profiles_centre_id_centres")
        ),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["users.id"], name=op.f("fk_district_profiles_imported_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district_profiles")),
        sa.UniqueConstraint(
            "centre_id", "year", "version", name="uq_district_profiles_centre_year_version"
        ),
    )
    with op.batch_alter_table("district_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_district_profiles_centre_id"), ["centre_id"], unique=False
        )
    op.create_table(
        "district_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=32), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["district_profiles.id"],
            name=op.f("fk_district_figures_profile_id_district_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district_figures")),
        sa.UniqueConstraint("profile_id", "district_code", name="uq_district_figures_profile_code"),
    )
    with op.batch_alter_table("district_figures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_district_figures_profile_id"), ["profile_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("district_figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_district_figures_profile_id"))
    op.drop_table("district_figures")
    with op.batch_alter_table("district_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_district_profiles_centre_id"))
    op.drop_table("district_profiles")
