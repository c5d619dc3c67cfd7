"""What the For You page and API tests share: a fresh engine on the app for each test, fed
from the database the way the app warms its own, and reading a served page's HTML."""

import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from shoptide.db import Databases
from shoptide.feed import serving
from shoptide.feed.engine import FeedEngine
from shoptide.feed.features import MemoryFeatures

ARTICLE = re.compile(r'<article [^>]*data-item-key="([^"]+)"\s+data-page-id="([^"]+)"')
DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')

_MISSING = object()


@pytest.fixture
async def engine(app: FastAPI, databases: Databases) -> AsyncIterator[FeedEngine]:
    """A fresh in-memory engine on app.state for the test; the app's own (if any) comes
    back after (monkeypatch would delete the attribute of Starlette's State on undo)."""
    saved = getattr(app.state, "feed_engine", _MISSING)
    fresh = FeedEngine(MemoryFeatures())
    app.state.feed_engine = fresh
    try:
        yield fresh
    finally:
        if saved is _MISSING:
            del app.state.feed_engine
        else:
            app.state.feed_engine = saved


async def warm(databases: Databases, engine: FeedEngine) -> None:
    """Fill the engine from the database as the app's lifespan does (new videos and rooms
    enter the starter pool)."""
    await serving.load(databases, engine, at=time.time())


def served(html: str) -> list[tuple[str, str]]:
    """(item key, page id) of each card on a page, in order."""
    return ARTICLE.findall(html)


async def feed_page(client: httpx.AsyncClient) -> tuple[str, list[str], str]:
    """Open For You: its page id, its item keys, and the CSRF token it carries."""
    page = await client.get("/for-you")
    assert page.status_code == 200, page.text
    cards = served(page.text)
    assert cards, "no item on the page"
    token = DATA_CSRF.search(page.text)
    assert token
    return cards[0][1], [key for key, _ in cards], token.group(1)
