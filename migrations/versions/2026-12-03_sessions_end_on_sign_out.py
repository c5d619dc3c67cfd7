"""sessions end on sign-out (issue 12)

Each account gets a session version, written into the session cookie at sign-in and
checked whenever the cookie is read: signing out (or changing the password) moves it on,
so a cookie copied before stops working at once instead of 14 days later. Existing
accounts start at 0, as do the versions of cookies made before this migration (none holds
one): those are signed out once.

Revision ID: c0a1e2120002
Revises: c0a1e2120001
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c0a1e2120002'
down_revision: str | None = 'c0a1e2120001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
