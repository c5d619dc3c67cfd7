"""address once per shopper

A shopper's address book holds each address once: a unique constraint on the shopper and
every field of the address, so remembering it after a paid checkout is one insert-or-ignore
(two checkouts paid at once with the same new address used to leave it twice). Duplicates
already there are deleted first, keeping the oldest row of each (the first created; of
rows created at the same time, the first inserted).

Revision ID: 962ddf92009f
Revises: 38c277b2a9ac
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '962ddf92009f'
down_revision: str | None = '38c277b2a9ac'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAME = ["user_id", "full_name", "line1", "line2", "city", "postal_code", "country_code", "phone"]


def upgrade() -> None:
    address = sa.table("address", sa.column("id"), sa.column("created_at"), *map(sa.column, SAME))
    older = address.alias("older")
    kept_before = sa.or_(
        older.c.created_at < address.c.created_at,
        sa.and_(older.c.created_at == address.c.created_at, older.c.id < address.c.id),
    )
    same = sa.and_(*(older.c[name] == address.c[name] for name in SAME))
    op.execute(address.delete().where(sa.exists().where(same, kept_before)))
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_address_same', SAME)


def downgrade() -> None:
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.drop_constraint('uq_address_same', type_='unique')
