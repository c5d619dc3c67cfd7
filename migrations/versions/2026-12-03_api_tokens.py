"""api tokens that expire and can be revoked (issue 12)

Every API token gets an expiry. Tokens issued before this migration never expired: they
get the default lifetime (30 days) from the day of the upgrade, so apps keep working and
sign in again within a month. Revoking a token deletes its row.

Revision ID: c0a1e2120003
Revises: c0a1e2120002
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import shoptide.db

revision: str = 'c0a1e2120003'
down_revision: str | None = 'c0a1e2120002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXISTING_TOKENS_LIFETIME = timedelta(days=30)


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('expires_at', shoptide.db.UTCDateTime(timezone=True), nullable=True)
        )
    api_token = sa.table(
        'api_token', sa.column('expires_at', shoptide.db.UTCDateTime(timezone=True))
    )
    op.execute(api_token.update().values(expires_at=datetime.now(UTC) + EXISTING_TOKENS_LIFETIME))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column(
            'expires_at', existing_type=shoptide.db.UTCDateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
