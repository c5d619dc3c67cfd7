"""payments survive a crash (issue 12)

The intent to charge is written before the gateway is called: a payment row in status
"charging" with the gateway's idempotency key (`reference`) and the time of the last
attempt (`attempted_at`), which the recovery sweep reads (indexed status) to settle or
refund what a stopped process left. A checkout keeps a fingerprint of its request (the
same key with another request is refused) and, while a cart checkout is pending, its
shopper in a unique column: one open payment per cart.

Revision ID: c0a1e2120001
Revises: 962ddf92009f
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shoptide.db

revision: str = 'c0a1e2120001'
down_revision: str | None = '962ddf92009f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reference", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("attempted_at", shoptide.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_payment_status"), ["status"], unique=False)
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "request_fingerprint", sa.String(length=64), server_default="", nullable=False
            )
        )
        batch_op.add_column(sa.Column("open_cart_shopper_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_checkout_open_cart_shopper_id"), ["open_cart_shopper_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_checkout_open_cart_shopper_id"), type_="unique")
        for column in ("open_cart_shopper_id", "request_fingerprint"):
            batch_op.drop_column(column)
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_status"))
        for column in ("attempted_at", "reference"):
            batch_op.drop_column(column)
