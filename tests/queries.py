"""Counting the statements a request runs: hot pages assert a fixed number of queries."""

import contextlib
from collections.abc import Iterator

from fastapi import FastAPI
from sqlalchemy import event

from shoptide.db import Databases


@contextlib.contextmanager
def count_queries(databases: Databases) -> Iterator[list[str]]:
    engines = {
        id(e): e
        for e in (databases.engine(c, write=w) for c in databases.all_cells for w in (True, False))
    }.values()
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "PRAGMA")):
            statements.append(statement)

    for engine in engines:
        event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine.sync_engine, "before_cursor_execute", record)


@contextlib.contextmanager
def count_request_queries(app: FastAPI, databases: Databases) -> Iterator[list[str]]:
    """The statements of requests made with the app's reference caches cold, so two counts
    compare like with like however long apart they run (the market cache lives 10 s)."""
    app.state.market_cache.clear()
    with count_queries(databases) as statements:
        yield statements
