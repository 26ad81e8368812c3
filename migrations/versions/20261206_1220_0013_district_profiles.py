"""district profiles (population figures per district and year)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:20:00
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # being built (issue 6)


def downgrade() -> None:
    pass
