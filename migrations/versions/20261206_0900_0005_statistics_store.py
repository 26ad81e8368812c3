"""statistics store: one pseudonymised row of categorical codes per case

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: The multi-select and sub-item code columns, in the model's order (stats/models.py).
CODE_COLUMNS_BEFORE_COURT = (
    "grounds",
    "ground_subs",
    "life_areas",
    "life_area_subs",
    "forms",
    "level",
    "agg_relevance",
)
CODE_COLUMNS_AFTER_COURT = (
    "interventions",
    "intervention_groups",
    "outcomes",
    "respondent_type",
    "age_band",
    "gender",
    "requester_type",
    "channel",
    "referral_source",
)


def upgrade() -> None:
    op.create_table(
        "stats_records",
        sa.Column("pseudonym", sa.LargeBinary(length=32), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("catalogue_version", sa.Integer(), nullable=False),
        sa.Column("opened_month", sa.String(length=7), nullable=False),
        sa.Column("closed_month", sa.String(length=7), nullable=True),
        sa.Column("district", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *(sa.Column(name, sa.String(), nullable=False) for name in CODE_COLUMNS_BEFORE_COURT),
        sa.Column("went_to_court", sa.String(length=4), nullable=False),
        *(sa.Column(name, sa.String(), nullable=False) for name in CODE_COLUMNS_AFTER_COURT),
        sa.Column("respondent_token", sa.LargeBinary(length=16), nullable=True),
        sa.CheckConstraint(
            "went_to_court IN ('ja', 'nein')", name=op.f("ck_stats_records_went_to_court")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'waiting', 'closed')", name=op.f("ck_stats_records_status")
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centres.id"], name=op.f("fk_stats_records_centre_id_centres")
        ),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_stats_records")),
    )
    with op.batch_alter_table("stats_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stats_records_centre_opened", ["centre_id", "opened_month"], unique=False
        )
        batch_op.create_index(
            "ix_stats_records_centre_closed", ["centre_id", "closed_month"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stats_records", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_records_centre_closed")
        batch_op.drop_index("ix_stats_records_centre_opened")
    op.drop_table("stats_records")
