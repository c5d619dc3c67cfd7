"""bigint keys where tables grow (issue 12)

Orders, their lines, history and refunds, checkouts, cart lines, payments and refunds,
reservations, outbox events and deliveries, ledger entries, feed and engagement events,
video and live-room comments, commissions: tables that can pass 2^31 rows get `bigint`
keys on PostgreSQL, and so do the columns that point at them (with the sequences behind
the keys, which `serial` made `integer`). SQLite's INTEGER is 64-bit already (and only
`INTEGER PRIMARY KEY` autoincrements), so there the models keep INTEGER and this
migration changes nothing.

Revision ID: c0a1e2120004
Revises: c0a1e2120003
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c0a1e2120004'
down_revision: str | None = 'c0a1e2120003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> its columns that become bigint ("id" first: the key, then what points at keys)
WIDENED: dict[str, tuple[str, ...]] = {
    'checkout': ('id',),
    'cart_line': ('id',),
    'shop_order': ('id', 'checkout_id'),
    'order_line': ('id', 'order_id'),
    'order_status_change': ('id', 'order_id'),
    'order_line_refund': ('id', 'order_id', 'order_line_id'),
    'payment': ('id', 'checkout_id'),
    'refund': ('id', 'order_id'),
    'reservation': ('id', 'checkout_id'),
    'outbox_event': ('id',),
    'outbox_delivery': ('id', 'event_id'),
    'ledger_entry': ('id', 'order_line_id'),
    'feed_event': ('id',),
    'engagement_event': ('id',),
    'video_comment': ('id',),
    'room_comment': ('id',),
    'commission': ('id', 'order_id', 'order_line_id'),
    'deal_claim': ('checkout_id',),
    'live_offer': ('checkout_id',),
}
NULLABLE = {('ledger_entry', 'order_line_id'), ('live_offer', 'checkout_id')}


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def _retype(to: type[sa.Integer], sequence_type: str) -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    type_=to(),
                    existing_nullable=(table, column) in NULLABLE,
                )
        if columns[0] == 'id':
            op.execute(
                sa.text(
                    f"ALTER SEQUENCE IF EXISTS {table}_id_seq AS {sequence_type}"
                )
            )


def upgrade() -> None:
    if _on_postgresql():
        _retype(sa.BigInteger, 'bigint')


def downgrade() -> None:
    if _on_postgresql():
        _retype(sa.Integer, 'integer')
