"""activities beyond cases

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("eckpunkt", sa.String(length=40), nullable=False),
        sa.Column("task", sa.String(length=40), nullable=True),
        sa.Column("district_code", sa.String(length=32), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("partners", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centres.id"], name=op.f("fk_activities_centre_id_centres")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_activities_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activities_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_activities_starts_on"), ["starts_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_starts_on"))
        batch_op.drop_index(batch_op.f("ix_activities_centre_id"))
    op.drop_table("activities")
