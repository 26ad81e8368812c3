"""campaigns, their activities, evidence, indicators and outputs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:10:00
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # being built (issue 6)


def downgrade() -> None:
    pass
