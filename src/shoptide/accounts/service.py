import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts.models import ADDRESS_FIELDS, Address, ApiToken, User
from shoptide.db import flush_unique, upsert, utcnow
from shoptide.errors import InvalidInput, NotAllowed, NotFound, NotSignedIn
from shoptide.settings import Settings

TOKEN_PREFIX = "st"


class Passwords:
    """argon2id hashing; cost comes from settings so tests and demo data stay quick."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_time_cost, memory_cost=settings.password_memory_cost_kib
        )
        # verified against when the email is unknown, so both paths cost the same
        self._dummy = self._hasher.hash(secrets.token_hex(8))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

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


def principal_of(user: User, cell: str) -> Principal:
    return Principal(user.id, cell, user.role, user.email, user.display_name, user.market_code)


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
        password_hash=passwords.hash(password),
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
    ok = passwords.verify(user.password_hash if user else None, password)
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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(session: AsyncSession, *, user: User, cell: str) -> str:
    """A bearer token that names its cell, so we know which database holds the account."""
    token = f"{TOKEN_PREFIX}_{cell}_{secrets.token_urlsafe(32)}"
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token)))
    await session.flush()
    return token


def cell_of_token(token: str) -> str:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise NotSignedIn("The bearer token is not a Shoptide token.")
    return parts[1]


async def user_for_token(session: AsyncSession, token: str) -> User:
    user = await session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _token_hash(token))
    )
    if user is None or not user.is_active:
        raise NotSignedIn("The bearer token is invalid or revoked.")
    return user


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
