"""Sign-in rate limits: failed sign-ins counted per account and per client address, on
every way in (the sign-in page, the API's token, the operations console).

Only failures count, so people who type their password right never use up the budget of
an office behind one address, and a success forgets the account's failures. Each tier of
a limit is longer than the one before ("5/minute;10/15 minutes;30/day"), so someone who
keeps guessing waits longer and longer: a backoff in steps. The counts live in Redis when
the app has a URL for them (shared by every app process), in this process otherwise.
"""

import hashlib
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool
from starlette.requests import HTTPConnection

from shoptide.errors import NotSignedIn, SlowDown
from shoptide.settings import Settings


def _in_words(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 2 * 3600:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"


class TooManySignIns(SlowDown):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many sign-in attempts. Try again in {_in_words(retry_after)}.",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


def address_of(connection: HTTPConnection) -> str:
    """The client's address (behind a proxy, the one the server was told to trust)."""
    return connection.client.host if connection.client else "unknown"


def _account_key(email: str) -> str:
    """Accounts are counted by a digest of their email: no addresses in Redis keys."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


class SignInThrottle:
    def __init__(
        self,
        storage: Storage,
        *,
        per_account: str,
        per_address: str,
        redis_pool: ConnectionPool | None = None,
    ) -> None:
        self._storage = storage
        self._redis_pool = redis_pool
        self._limiter = MovingWindowRateLimiter(storage)
        self._limits: dict[str, list[RateLimitItem]] = {
            "account": parse_many(per_account),
            "address": parse_many(per_address),
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> "SignInThrottle":
        per_account = settings.sign_in_limits_per_account
        per_address = settings.sign_in_limits_per_ip
        url = settings.sign_in_redis_url
        if not url:
            return cls(MemoryStorage(), per_account=per_account, per_address=per_address)
        # our own pool (redis-py's client), so closing the app closes its connections
        pool = ConnectionPool.from_url(url)
        client: dict[str, Any] = {"connection_pool": pool}
        storage = RedisStorage(
            f"async+{url}",
            implementation="redispy",
            key_prefix=settings.sign_in_redis_prefix,
            **client,
        )
        return cls(storage, per_account=per_account, per_address=per_address, redis_pool=pool)

    @asynccontextmanager
    async def attempt(self, *, email: str, address: str) -> AsyncIterator[None]:
        """Refuses (429, with how long to wait) while the account or the address is over a
        limit; counts the sign-in as failed when the block raises NotSignedIn."""
        keys = {"account": _account_key(email), "address": address}
        await self._refuse_if_over(keys)
        try:
            yield
        except NotSignedIn:
            for kind, key in keys.items():
                for limit in self._limits[kind]:
                    await self._limiter.hit(limit, kind, key)
            raise
        for limit in self._limits["account"]:
            await self._limiter.clear(limit, "account", keys["account"])

    async def _refuse_if_over(self, keys: dict[str, str]) -> None:
        wait = 0
        for kind, key in keys.items():
            for limit in self._limits[kind]:
                if not await self._limiter.test(limit, kind, key):
                    stats = await self._limiter.get_window_stats(limit, kind, key)
                    wait = max(wait, math.ceil(stats.reset_time - time.time()), 1)
        if wait:
            raise TooManySignIns(wait)

    async def forget_all(self) -> None:
        """Every count dropped (tests start each case from none)."""
        await self._storage.reset()

    async def close(self) -> None:
        if self._redis_pool is not None:
            await self._redis_pool.aclose()
