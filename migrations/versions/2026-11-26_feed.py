"""feed: the event log, follows, items' cold-start stages (cells) and training runs (global)

Revision ID: ac5b3e43a95f
Revises: 4274bc39aab3
Create Date: 2026-11-26 14:32:15.131824
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shoptide.db

revision: str = 'ac5b3e43a95f'
down_revision: str | None = '4274bc39aab3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feed_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', shoptide.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('market_code', sa.String(length=2), nullable=False),
    sa.Column('viewer', sa.String(length=40), nullable=False),
    sa.Column('item_key', sa.String(length=24), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('page_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('features', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_event'))
    )
    with op.batch_alter_table('feed_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_event_at'), ['at'], unique=False)
        batch_op.create_index('ix_feed_event_item_key_action', ['item_key', 'action'], unique=False)
        batch_op.create_index(batch_op.f('ix_feed_event_viewer'), ['viewer'], unique=False)

    op.create_table('follow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('follower_id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('market_code', sa.String(length=2), nullable=False),
    sa.Column('created_at', shoptide.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow')),
    sa.UniqueConstraint('follower_id', 'host_id', name=op.f('uq_follow_follower_id_host_id'))
    )
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_host_id'), ['host_id'], unique=False)

    op.create_table('item_stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=24), nullable=False),
    sa.Column('market_code', sa.String(length=2), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('changed_at', shoptide.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_stage')),
    sa.UniqueConstraint('item_key', name=op.f('uq_item_stage_item_key'))
    )
    with op.batch_alter_table('item_stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_stage_shop_id'), ['shop_id'], unique=False)

    op.create_table('training_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', shoptide.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', shoptide.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('model_path', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_run'))
    )


def downgrade() -> None:
    op.drop_table('training_run')
    with op.batch_alter_table('item_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_stage_shop_id'))
    op.drop_table('item_stage')
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_host_id'))
    op.drop_table('follow')
    with op.batch_alter_table('feed_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_event_viewer'))
        batch_op.drop_index('ix_feed_event_item_key_action')
        batch_op.drop_index(batch_op.f('ix_feed_event_at'))
    op.drop_table('feed_event')
