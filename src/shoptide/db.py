"""Engines and sessions per cell, the declarative Base, and migrations entry.

Code always opens a session *for a cell*; which database a cell is, is configuration.
SQLite gets two engines per file: readers begin deferred, writers begin IMMEDIATE so
competing writers queue on the busy timeout instead of failing to upgrade their lock.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import BigInteger, Connection, CursorResult, DateTime, Integer, MetaData, event
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeDecorator

from shoptide.errors import Conflict
from shoptide.settings import GLOBAL_CELL, Settings

if TYPE_CHECKING:
    from alembic.config import Config

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite too (which stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


# keys of tables that grow past 2^31 rows (orders, events, comments...): bigint on
# PostgreSQL; SQLite's INTEGER is 64-bit already and only `INTEGER PRIMARY KEY` autoincrements
BigKey = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


async def rows_updated(session: AsyncSession, statement: UpdateBase) -> int:
    """How many rows a conditional UPDATE (or upsert) changed: the check-and-set of hot rows."""
    return cast(CursorResult[Any], await session.execute(statement)).rowcount


async def flush_unique(session: AsyncSession, conflict: str, *rows: object) -> None:
    """Add `rows` and flush in a savepoint; a unique constraint refusing the flush is
    Conflict(conflict). The rows added here are forgotten again, so the caller's
    transaction goes on."""
    try:
        async with session.begin_nested():
            session.add_all(rows)
            await session.flush()
    except IntegrityError:
        raise Conflict(conflict) from None


def upsert(session: AsyncSession, model: type["Base"]) -> PostgresInsert | SqliteInsert:
    """INSERT with ON CONFLICT clauses, in the dialect of the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(model)
    return sqlite_insert(model)


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _make_engine(url: str, *, immediate: bool) -> AsyncEngine:
    if not _is_sqlite(url):
        # several cells may share one server: keep each engine's share of its connections modest
        return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=10, max_overflow=30)
    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Databases:
    """The engines of every cell; engines are shared between cells with the same URL."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._writers: dict[str, AsyncEngine] = {}
        self._readers: dict[str, AsyncEngine] = {}
        self._makers: dict[tuple[str, bool], async_sessionmaker[AsyncSession]] = {}

    @property
    def all_cells(self) -> list[str]:
        return [GLOBAL_CELL, *self.settings.cells]

    def url(self, cell: str) -> str:
        if cell not in self.all_cells:
            raise KeyError(f"unknown cell {cell!r}")
        return self.settings.database_url(cell)

    def distinct_urls(self) -> list[str]:
        return list(dict.fromkeys(self.url(cell) for cell in self.all_cells))

    def each_cell(self, *, with_global: bool = False) -> list[str]:
        """The one way to visit every cell: one cell per database. Cells may share a
        database, and a loop over every cell name would read (or write) its rows once per
        cell sharing it."""
        by_url: dict[str, str] = {}
        for cell in self.all_cells if with_global else self.settings.cells:
            by_url.setdefault(self.url(cell), cell)
        return list(by_url.values())

    def home_cell(self, cell: str) -> str:
        """The cell that `each_cell` visits for `cell`'s database (rows of cells sharing a
        database are read through it, and their ids are unique per database)."""
        url = self.url(cell)
        return next(c for c in self.each_cell(with_global=True) if self.url(c) == url)

    def engine(self, cell: str, *, write: bool = True) -> AsyncEngine:
        url = self.url(cell)
        pool = self._writers if write or not _is_sqlite(url) else self._readers
        if url not in pool:
            pool[url] = _make_engine(url, immediate=write)
        return pool[url]

    def sessionmaker(self, cell: str, *, write: bool) -> async_sessionmaker[AsyncSession]:
        key = (cell, write)
        if key not in self._makers:
            self._makers[key] = async_sessionmaker(
                self.engine(cell, write=write), expire_on_commit=False
            )
        return self._makers[key]

    @asynccontextmanager
    async def session(self, cell: str, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits on success, rolls back on any error."""
        async with self.sessionmaker(cell, write=write)() as session:
            try:
                yield session
                if write:
                    await session.commit()
                # a reader just closes: its objects stay loaded for the caller
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        for engine in [*self._writers.values(), *self._readers.values()]:
            await engine.dispose()
        self._writers.clear()
        self._readers.clear()
        self._makers.clear()


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade_all(settings: Settings) -> list[str]:
    """Apply migrations to every distinct cell database; returns the URLs upgraded."""
    from alembic import command

    urls = Databases(settings).distinct_urls()
    for url in urls:
        if _is_sqlite(url):
            Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        command.upgrade(alembic_config(url), "head")
    return urls
