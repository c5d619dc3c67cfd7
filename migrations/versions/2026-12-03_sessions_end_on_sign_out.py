"""sessions end on sign-out (issue 12)

PLACEHOLDER: the helper that owns this migration replaces this docstring and fills in
upgrade() and downgrade(). Keep revision and down_revision as they are (the chain is fixed).

Revision ID: c0a1e2120002
Revises: c0a1e2120001
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

revision: str = 'c0a1e2120002'
down_revision: str | None = 'c0a1e2120001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
