"""Migrations are reversible and match the models."""

import asyncio

import sqlalchemy as sa
from alembic import command

from shoptide.db import alembic_config


def _tables(path) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


async def test_migrations_go_down_to_nothing_and_back_up(tmp_path):
    path = tmp_path / "cell.db"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")

    await asyncio.to_thread(command.upgrade, config, "head")
    created = _tables(path)
    await asyncio.to_thread(command.downgrade, config, "base")
    after_down = _tables(path)
    await asyncio.to_thread(command.upgrade, config, "head")

    assert {"shop_order", "stock", "outbox_event", "listing"} <= created
    assert after_down == set()
    assert _tables(path) == created


async def test_models_and_migrations_agree(tmp_path):
    config = alembic_config(f"sqlite+aiosqlite:///{tmp_path / 'check.db'}")
    await asyncio.to_thread(command.upgrade, config, "head")
    await asyncio.to_thread(command.check, config)  # raises if autogenerate finds a diff
