"""Accounts use cases that own their units of work: finding an account in whichever cell
holds it, and creating a shopper's account (and token) in their market's cell.

Shoppers live in their market's cell; merchants, creators and operators in the global one.
"""

from collections.abc import Sequence
from typing import TypedDict, Unpack

from shoptide.accounts import service
from shoptide.accounts.models import ApiToken, User
from shoptide.accounts.service import Passwords, Principal
from shoptide.db import Databases
from shoptide.errors import InvalidInput, NotSignedIn
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL

BUSINESS_ROLES = {"business": ("merchant", "operator"), "creator": ("creator",)}  # global cell


async def authenticate_anywhere(
    databases: Databases,
    cells: Sequence[str],
    *,
    email: str,
    password: str,
    passwords: Passwords,
    roles: tuple[str, ...],
) -> tuple[User, str]:
    """Find the account in the first of `cells` that has it (a shopper who forgot to pick
    their market still gets in); returns the user and the cell that holds it."""
    for cell in dict.fromkeys(cells):
        async with databases.session(cell, write=False) as session:
            try:
                user = await service.authenticate(
                    session, email=email, password=password, passwords=passwords, roles=roles
                )
            except NotSignedIn:
                continue
            return user, cell
    raise NotSignedIn("Email or password is wrong.")


async def sign_in(
    databases: Databases,
    *,
    account: str,
    market_code: str,
    email: str,
    password: str,
    passwords: Passwords,
) -> tuple[User, str]:
    """The sign-in form: a shopper is looked up in the picked market's cell first, then in
    every other; business accounts ("business", "creator") in the global cell."""
    roles: tuple[str, ...]
    if account == "shopper":
        home = databases.home_cell(databases.settings.cell_of_market(market_code))
        cells, roles = [home, *databases.each_cell()], ("shopper",)
    else:
        cells, roles = [GLOBAL_CELL], BUSINESS_ROLES[account]
    return await authenticate_anywhere(
        databases, cells, email=email, password=password, passwords=passwords, roles=roles
    )


class NewAccount(TypedDict):
    """What a new account is made of (`service.create`'s fields but its role and market)."""

    email: str
    password: str
    display_name: str
    passwords: Passwords


async def sign_up_shopper(
    databases: Databases,
    *,
    market_code: str,
    **account: Unpack[NewAccount],
) -> tuple[User, str]:
    """A shopper's account in their market's cell; returns it and the cell."""
    if "@" not in account["email"]:
        raise InvalidInput("Enter a valid email address.")
    cell = databases.settings.cell_of_market(market_code)
    async with databases.session(cell) as session:
        user = await service.create(session, role="shopper", market_code=market_code, **account)
    return user, cell


async def issue_token(
    databases: Databases,
    *,
    email: str,
    password: str,
    market: str | None,
    passwords: Passwords,
) -> str:
    """A bearer token: shoppers sign in to their market; merchants, creators and operators
    (the global cell's accounts) leave the market out."""
    roles: tuple[str, ...] = ("merchant", "operator", "creator")
    cell = GLOBAL_CELL
    if market:
        async with databases.session(GLOBAL_CELL, write=False) as global_:
            code = (await markets_service.requested(global_, market)).code
        cell, roles = databases.settings.cell_of_market(code), ("shopper",)
    async with databases.session(cell) as session:
        user = await service.authenticate(
            session, email=email, password=password, passwords=passwords, roles=roles
        )
        lifetime = databases.settings.api_token_lifetime
        return await service.issue_token(session, user=user, cell=cell, lifetime=lifetime)


async def register_shopper(
    databases: Databases,
    *,
    market: str,
    **account: Unpack[NewAccount],
) -> str:
    """A shopper's account in a market, and a bearer token for it."""
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        code = (await markets_service.requested(global_, market)).code
    cell = databases.settings.cell_of_market(code)
    async with databases.session(cell) as session:
        user = await service.create(session, role="shopper", market_code=code, **account)
        lifetime = databases.settings.api_token_lifetime
        return await service.issue_token(session, user=user, cell=cell, lifetime=lifetime)


async def list_tokens(databases: Databases, user: Principal) -> list[ApiToken]:
    """The caller's API tokens, read where their account lives."""
    async with databases.session(user.cell, write=False) as session:
        return await service.list_tokens(session, user_id=user.user_id)


async def revoke_token(databases: Databases, user: Principal, token_id: int | None) -> None:
    """One of the caller's API tokens stops working (`None`: the one they are using)."""
    if token_id is None:
        raise InvalidInput("Sign out of the API with the bearer token you want to end.")
    async with databases.session(user.cell) as session:
        await service.revoke_token(session, user_id=user.user_id, token_id=token_id)


async def end_sessions(
    databases: Databases, cell: str, *, user_id: int, session_version: int
) -> None:
    """Sign the account out everywhere (its sessions at this version end)."""
    async with databases.session(cell) as session:
        await service.end_sessions(session, user_id, session_version=session_version)
