"""coordinator packages: region and key frozen at import, withdrawal, retention purge

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 11:30:00

The region a package counts in and the key it was verified with are copied from its centre
(as they were when it was imported: neither could change before this revision).
A withdrawn package stays as a row beside its replacement, so the unique constraint on
(centre, period) becomes a unique index over the packages not withdrawn. Downgrading deletes
the rows without counts (withdrawn or purged): the old schema has no place for them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ACTIVE = "withdrawn_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("coordinator_packages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("region_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("public_key", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE coordinator_packages SET"
        " region_code = (SELECT c.region_code FROM coordinator_centres c"
        " WHERE c.id = coordinator_packages.centre_id),"
        " region_name = (SELECT c.region_name FROM coordinator_centres c"
        " WHERE c.id = coordinator_packages.centre_id),"
        " public_key = (SELECT c.public_key FROM coordinator_centres c"
        " WHERE c.id = coordinator_packages.centre_id)"
    )
    with op.batch_alter_table("coordinator_packages", schema=None) as batch_op:
        batch_op.alter_column("region_code", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("region_name", existing_type=sa.String(length=80), nullable=False)
        batch_op.alter_column("public_key", existing_type=sa.LargeBinary(length=32), nullable=False)
        batch_op.alter_column("content", existing_type=sa.Text(), nullable=True)
        batch_op.drop_constraint("uq_coordinator_packages_centre_period", type_="unique")
        batch_op.create_foreign_key(
            batch_op.f("fk_coordinator_packages_withdrawn_by_users"),
            "users",
            ["withdrawn_by"],
            ["id"],
        )
    op.create_index(
        "uq_coordinator_packages_centre_period_active",
        "coordinator_packages",
        ["centre_id", "period"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_coordinator_packages_centre_period_active", "coordinator_packages")
    op.execute("DELETE FROM coordinator_packages WHERE content IS NULL")
    with op.batch_alter_table("coordinator_packages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_coordinator_packages_withdrawn_by_users"), type_="foreignkey"
        )
        batch_op.create_unique_constraint(
            "uq_coordinator_packages_centre_period", ["centre_id", "period"]
        )
        batch_op.alter_column("content", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("purged_at")
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("public_key")
        batch_op.drop_column("region_name")
        batch_op.drop_column("region_code")
