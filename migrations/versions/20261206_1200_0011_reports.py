"""structural-discrimination reports, vignettes and policy demands

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 12:00:00

A vignette has no column that could name its case (reports/models.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finalised_by", sa.Integer(), nullable=True),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centres.id"], name=op.f("fk_reports_centre_id_centres")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_reports_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["finalised_by"], ["users.id"], name=op.f("fk_reports_finalised_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["stats_releases.id"], name=op.f("fk_reports_release_id_stats_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "report_vignettes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_vignettes_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["users.id"], name=op.f("fk_report_vignettes_proposed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_report_vignettes_reviewed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_vignettes")),
    )
    with op.batch_alter_table("report_vignettes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_vignettes_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "report_demands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_demands_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_report_demands_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_demands")),
    )
    with op.batch_alter_table("report_demands", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_demands_report_id"), ["report_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("report_demands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_demands_report_id"))
    op.drop_table("report_demands")
    with op.batch_alter_table("report_vignettes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_vignettes_report_id"))
    op.drop_table("report_vignettes")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_centre_id"))
    op.drop_table("reports")
