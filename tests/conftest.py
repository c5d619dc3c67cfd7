"""Shared fixtures: the same suite runs on SQLite (default) or PostgreSQL
(SHOPTIDE_TEST_DB=postgres). Two cells are configured so cross-cell code paths run in
every test: Indonesia, Thailand, Vietnam and Malaysia live in the "sea" cell."""

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from shoptide import i18n
from shoptide.app import create_app
from shoptide.db import Base, Databases, upgrade_all
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL, Settings

PG_HOST = os.environ.get("SHOPTIDE_TEST_PG_HOST", "127.0.0.1")
# SHOPTIDE_TEST_PG_SUFFIX gives a run databases of its own, so two runs never share one
PG_SUFFIX = os.environ.get("SHOPTIDE_TEST_PG_SUFFIX", "")
PG_DATABASES = {
    cell: f"{name}_{PG_SUFFIX}" if PG_SUFFIX else name
    for cell, name in {
        GLOBAL_CELL: "test",
        "main": "shoptide_test_main",
        "sea": "shoptide_test_sea",
    }.items()
}
SEA_MARKETS = {"ID": "sea", "TH": "sea", "VN": "sea", "MY": "sea"}


def backend() -> str:
    return os.environ.get("SHOPTIDE_TEST_DB", "sqlite")


async def _create_pg_databases() -> dict[str, str]:
    conn = await asyncpg.connect(host=PG_HOST, user="postgres", database="test")
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in PG_DATABASES.values():
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return {
        cell: f"postgresql+asyncpg://postgres@{PG_HOST}/{db}" for cell, db in PG_DATABASES.items()
    }


def make_settings(data_dir: Path, cell_urls: dict[str, str]) -> Settings:
    return Settings(
        data_dir=data_dir,
        cell_urls=cell_urls,
        market_cells=SEA_MARKETS,
        password_time_cost=1,
        password_memory_cost_kib=64,
        embedded_dispatcher=False,
        secret_key="test-secret",
        cookie_secure=False,  # the test client speaks plain http
    )


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> list[Path]:
    """Compile the catalogs as `make install` does, where a .mo is missing or older than its .po."""
    return i18n.compile_missing()


@pytest.fixture(scope="session")
async def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    cell_urls = await _create_pg_databases() if backend() == "postgres" else {}
    settings = make_settings(tmp_path_factory.mktemp("shoptide"), cell_urls)
    if cell_urls:
        await _drop_everything(settings)
    await asyncio.to_thread(upgrade_all, settings)
    return settings


async def _drop_everything(settings: Settings) -> None:
    """Start PostgreSQL runs from empty databases, whatever an earlier run left."""
    databases = Databases(settings)
    for url in databases.distinct_urls():
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        await conn.close()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    yield application
    await application.state.databases.dispose()


@pytest.fixture
async def databases(app: FastAPI) -> AsyncIterator[Databases]:
    """A clean slate for each test: every table emptied, default markets present."""
    databases: Databases = app.state.databases
    await _empty_all(databases)
    # rate limits are keyed by ids, and ids start again with every test's empty tables
    app.state.live_hub.broker._events.clear()
    await app.state.sign_in_throttle.forget_all()  # every test's client has one address
    async with databases.session(GLOBAL_CELL) as session:
        await markets_service.ensure_defaults(session)
    yield databases


async def _empty_all(databases: Databases) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    for cell in databases.all_cells:
        async with databases.session(cell) as session:
            if databases.url(cell).startswith("postgresql"):
                quoted = ", ".join(f'"{t}"' for t in tables)
                await session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    await session.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
async def client(app: FastAPI, databases: Databases) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


# --- cells that share one database (residency is configuration) -------------------------


@pytest.fixture(scope="module")
async def shared_cells_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    """An app whose two market cells, "main" (US) and "sea" (ID), are one database (SQLite
    whatever the suite's backend: the point is the configuration, not the engine)."""
    data_dir = tmp_path_factory.mktemp("shared-cells")
    one_database = f"sqlite+aiosqlite:///{data_dir / 'cells.db'}"
    settings = make_settings(data_dir, {"main": one_database, "sea": one_database})
    await asyncio.to_thread(upgrade_all, settings)
    app = create_app(settings)
    async with app.state.databases.session(GLOBAL_CELL) as session:
        await markets_service.ensure_defaults(session)
    yield app
    await app.state.databases.dispose()


@pytest.fixture
async def shared_cells(
    shared_cells_app: FastAPI,
) -> AsyncIterator[tuple[httpx.AsyncClient, Databases]]:
    transport = httpx.ASGITransport(app=shared_cells_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, shared_cells_app.state.databases
