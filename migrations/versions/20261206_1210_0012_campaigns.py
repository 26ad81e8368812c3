"""campaigns, their activities, evidence, indicators and outputs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("budget_cents", sa.Integer(), nullable=True),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("life_areas", sa.Text(), nullable=False),
        sa.Column("districts", sa.Text(), nullable=False),
        sa.Column("audiences", sa.Text(), nullable=False),
        sa.Column("audience_other", sa.String(length=200), nullable=False),
        sa.Column("events_held", sa.Integer(), nullable=True),
        sa.Column("people_reached", sa.Integer(), nullable=True),
        sa.Column("outputs_note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centres.id"], name=op.f("fk_campaigns_centre_id_centres")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_campaigns_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "campaign_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("responsible_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_activities_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["responsible_id"],
            ["users.id"],
            name=op.f("fk_campaign_activities_responsible_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_activities")),
    )
    with op.batch_alter_table("campaign_activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_activities_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "campaign_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=400), nullable=False),
        sa.Column("linked_by", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_evidence_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["stats_releases.id"],
            name=op.f("fk_campaign_evidence_release_id_stats_releases"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_by"], ["users.id"], name=op.f("fk_campaign_evidence_linked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_evidence")),
        sa.UniqueConstraint(
            "campaign_id", "release_id", "key", name="uq_campaign_evidence_campaign_release_key"
        ),
    )
    with op.batch_alter_table("campaign_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_evidence_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_evidence_release_id"), ["release_id"], unique=False
        )

    op.create_table(
        "campaign_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=400), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_indicators_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_indicators")),
        sa.UniqueConstraint("campaign_id", "key", name="uq_campaign_indicators_campaign_key"),
    )
    with op.batch_alter_table("campaign_indicators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_indicators_campaign_id"), ["campaign_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_indicators_campaign_id"))
    op.drop_table("campaign_indicators")

    with op.batch_alter_table("campaign_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_evidence_release_id"))
        batch_op.drop_index(batch_op.f("ix_campaign_evidence_campaign_id"))
    op.drop_table("campaign_evidence")

    with op.batch_alter_table("campaign_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_activities_campaign_id"))
    op.drop_table("campaign_activities")

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_centre_id"))
    op.drop_table("campaigns")
