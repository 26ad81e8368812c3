"""structural-discrimination reports, vignettes and policy demands

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # being built (issue 6)


def downgrade() -> None:
    pass
