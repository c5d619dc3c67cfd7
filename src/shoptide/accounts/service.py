import asyncio
import hashlib
import os
import secrets
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts.models import ADDRESS_FIELDS, Address, ApiToken, User
from shoptide.db import flush_unique, rows_updated, upsert, utcnow
from shoptide.errors import InvalidInput, NotAllowed, NotFound, NotSignedIn
from shoptide.settings import Settings

TOKEN_PREFIX = "st"
# argon2 runs here, one pool per process: at most one hash per CPU at a time
_ARGON2_THREADS = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="argon2")


class Passwords:
    """argon2id hashing; cost comes from settings so tests and demo data stay quick.

    Request paths use `hashed` and `matches`: at production cost one hash is tens of
    milliseconds of CPU and 64 MiB, so it runs in threads of its own (argon2 releases the
    GIL), never on the event loop. As many threads as CPUs: a burst of sign-ins queues
    there, bounded in memory, and other to_thread work never waits behind it."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_time_cost, memory_cost=settings.password_memory_cost_kib
        )
        # verified against when the email is unknown, so both paths cost the same
        self._dummy = self._hasher.hash(secrets.token_hex(8))

    def hash(self, password: str) -> str:
        """Blocking; on a request path use `hashed`."""
        return self._hasher.hash(password)

    async def hashed(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(
            _ARGON2_THREADS, self.hash, password
        )

    async def matches(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(
            _ARGON2_THREADS, self.verify, password_hash, password
        )

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and bool(
                password_hash
            )
        except VerificationError:
            return False


@dataclass(frozen=True)
class Principal:
    """Who is signed in, and in which cell their account lives."""

    user_id: int
    cell: str
    role: str
    email: str
    display_name: str
    market_code: str | None
    token_id: int | None = None  # the API token the request came with


def principal_of(user: User, cell: str, *, token_id: int | None = None) -> Principal:
    return Principal(
        user.id, cell, user.role, user.email, user.display_name, user.market_code, token_id
    )


def _normalise_email(email: str) -> str:
    return email.strip().lower()


async def create(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    role: str,
    passwords: Passwords,
    market_code: str | None = None,
) -> User:
    if len(password) < 8:
        raise InvalidInput("Choose a password of at least 8 characters.")
    user = User(
        email=_normalise_email(email),
        password_hash=await passwords.hashed(password),
        display_name=display_name.strip() or email,
        role=role,
        market_code=market_code,
    )
    await flush_unique(session, "An account with this email already exists. Sign in instead.", user)
    return user


async def authenticate(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    passwords: Passwords,
    roles: tuple[str, ...],
) -> User:
    user = await session.scalar(select(User).where(User.email == _normalise_email(email)))
    ok = await passwords.matches(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active or user.role not in roles:
        raise NotSignedIn("Email or password is wrong.")
    return user


# Roles an operator may move a business account between in the console. Shoppers live in
# their market's cell and creators have a creator profile: neither changes role here.
CONSOLE_ROLES = ("merchant", "operator")


async def change_role(
    session: AsyncSession, user_id: int, *, role: str, acting_user_id: int | None
) -> User:
    """An operator makes a merchant an operator, or an operator a merchant again (never
    themselves: the console would lock them out mid-change)."""
    if role not in CONSOLE_ROLES:
        raise InvalidInput(f"An account can be made {' or '.join(CONSOLE_ROLES)} here.")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no account {user_id}.")
    if user.role not in CONSOLE_ROLES:
        raise InvalidInput(f"{user.email} is a {user.role} account; its role stays as it is.")
    if user.id == acting_user_id:
        raise NotAllowed("You can't change your own role; ask another operator.")
    user.role = role
    await session.flush()
    return user


async def get(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotSignedIn("Your account is no longer available. Please sign in again.")
    return user


async def get_signed_in(session: AsyncSession, user_id: int, *, session_version: int) -> User:
    """The account a session cookie names, unless it signed out (or changed its password)
    since the cookie was made: its session version moved on."""
    user = await get(session, user_id)
    if user.session_version != session_version:
        raise NotSignedIn("You were signed out. Please sign in again.")
    return user


async def end_sessions(session: AsyncSession, user_id: int, *, session_version: int) -> None:
    """Sign the account out everywhere: every cookie made at this version stops working. A
    cookie already signed out (an older version) ends nothing."""
    await session.execute(
        update(User)
        .where(User.id == user_id, User.session_version == session_version)
        .values(session_version=User.session_version + 1)
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


DEFAULT_TOKEN_LIFETIME = timedelta(days=30)
TOKEN_EXPIRED = "The bearer token has expired. Get a new one from POST /api/v1/auth/token."
TOKEN_UNKNOWN = "The bearer token is invalid or revoked."


async def issue_token(
    session: AsyncSession, *, user: User, cell: str, lifetime: timedelta = DEFAULT_TOKEN_LIFETIME
) -> str:
    """A bearer token that names its cell, so we know which database holds the account.
    The account's expired tokens are cleared out on the way."""
    now = utcnow()
    await session.execute(
        delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at <= now)
    )
    token = f"{TOKEN_PREFIX}_{cell}_{secrets.token_urlsafe(32)}"
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return token


def cell_of_token(token: str) -> str:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise NotSignedIn("The bearer token is not a Shoptide token.")
    return parts[1]


async def principal_for_token(session: AsyncSession, token: str, *, cell: str) -> Principal:
    """Who a bearer token signs in: one lookup by the token's (unique, indexed) hash."""
    found = (
        await session.execute(
            select(User, ApiToken.id, ApiToken.expires_at)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == _token_hash(token))
        )
    ).first()
    if found is None or not found[0].is_active:
        raise NotSignedIn(TOKEN_UNKNOWN)
    user, token_id, expires_at = found
    if expires_at <= utcnow():
        raise NotSignedIn(TOKEN_EXPIRED)
    return principal_of(user, cell, token_id=token_id)


async def list_tokens(session: AsyncSession, *, user_id: int) -> list[ApiToken]:
    """The account's tokens that still work, newest first."""
    rows = await session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.expires_at > utcnow())
        .order_by(ApiToken.id.desc())
    )
    return list(rows)


async def revoke_token(session: AsyncSession, *, user_id: int, token_id: int) -> None:
    """The token stops working at once. Another account's token is not found (404), as if
    it did not exist."""
    deleted = await rows_updated(
        session, delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )
    if not deleted:
        raise NotFound(f"There is no API token {token_id} on your account.")


async def list_addresses(session: AsyncSession, *, user_id: int) -> list[Address]:
    rows = await session.scalars(
        select(Address).where(Address.user_id == user_id).order_by(Address.id.desc())
    )
    return list(rows)


async def get_address(session: AsyncSession, *, user_id: int, address_id: int) -> Address:
    address = await session.get(Address, address_id)
    if address is None or address.user_id != user_id:
        raise NotFound("Address not found.")
    return address


async def add_address(session: AsyncSession, *, user_id: int, **fields: str) -> Address:
    """An address in the book; one already there (every field the same) is returned as is."""
    return await remember_address(session, user_id=user_id, **fields)


async def remember_address(
    session: AsyncSession, *, user_id: int, country_code: str, **fields: str
) -> Address:
    """Keep an address in the shopper's book for next time, unless it is already there.

    One insert-or-ignore on the unique (shopper, every field of the address): two checkouts
    paid at once with the same new address leave it in the book once."""
    values = {name: fields.get(name, "") for name in ADDRESS_FIELDS} | {
        "country_code": country_code
    }
    await session.execute(
        upsert(session, Address)
        .values(user_id=user_id, created_at=utcnow(), **values)
        .on_conflict_do_nothing()
    )
    known = await session.scalar(
        select(Address).where(
            Address.user_id == user_id,
            *(getattr(Address, name) == value for name, value in values.items()),
        )
    )
    assert known is not None  # inserted now, or there before
    return known


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    """The active account with this email in the session's cell, if there is one."""
    user = await session.scalar(select(User).where(User.email == _normalise_email(email)))
    return user if user is not None and user.is_active else None


async def display_names(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.display_name).where(User.id.in_(list(user_ids)))
    )
    return {user_id: name for user_id, name in rows}
