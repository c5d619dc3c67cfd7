"""Affiliate factories: one line builds a creator (account, profile, API token), an open
plan or an invitation, through the domains' own services."""

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Passwords
from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.plans.models import SHOP_WIDE, Invitation
from shoptide.affiliate.samples import service as samples
from shoptide.affiliate.samples.models import SampleRequest
from shoptide.creators import service as creators
from shoptide.db import Databases, utcnow
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.pages import csrf_token

_seq = itertools.count(1)


@dataclass
class CreatorAccount:
    user_id: int
    id: int  # the creator profile's id
    handle: str
    email: str
    token: str
    market: str
    password: str = factories.PASSWORD

    @property
    def headers(self) -> dict[str, str]:
        return factories.bearer(self.token)


async def creator(
    databases: Databases, market: str = "US", handle: str | None = None
) -> CreatorAccount:
    """A creator: a global account with role "creator", its public profile and a token."""
    n = next(_seq)
    handle = handle or f"creator_{n}"
    email = f"{handle}@example.com"
    async with databases.session(GLOBAL_CELL) as session:
        user = await accounts_service.create(
            session,
            email=email,
            password=factories.PASSWORD,
            display_name=f"Creator {n}",
            role="creator",
            market_code=market,
            passwords=Passwords(databases.settings),
        )
        profile = await creators.create(
            session, user_id=user.id, handle=handle, display_name=f"Creator {n}", market_code=market
        )
        token = await accounts_service.issue_token(session, user=user, cell=GLOBAL_CELL)
    return CreatorAccount(user.id, profile.id, profile.handle, email, token, market)


async def open_rate(
    databases: Databases, shop_id: int, rate_bp: int, product_id: int = SHOP_WIDE
) -> None:
    """An open plan on one product (by default on every product of the shop)."""
    async with databases.session(GLOBAL_CELL) as session:
        await plans.set_open_rate(session, shop_id=shop_id, product_id=product_id, rate_bp=rate_bp)


async def invitation(
    databases: Databases,
    shop_id: int,
    who: CreatorAccount,
    product_ids: list[int],
    *,
    rate_bp: int = 2000,
    samples: bool = False,
    accepted: bool = False,
    expires_at: datetime | None = None,
) -> int:
    """An invitation from the shop to the creator (accepted if asked); returns its id."""
    async with databases.session(GLOBAL_CELL) as session:
        invited = await plans.invite(
            session,
            shop_id=shop_id,
            handle=who.handle,
            rate_bp=rate_bp,
            product_ids=product_ids,
            expires_at=expires_at or utcnow() + timedelta(days=30),
            samples_offered=samples,
        )
        if accepted:
            await plans.accept(session, creator_id=who.id, invitation_id=invited.id)
        return invited.id


async def sample_request(
    databases: Databases,
    who: CreatorAccount,
    invitation_id: int,
    product_id: int,
    ship_to: str = "1 Main Street",
) -> SampleRequest:
    """The creator asks for a free sample of the product under their invitation."""
    async with databases.session(GLOBAL_CELL) as session:
        return await samples.request(
            session,
            creator_id=who.id,
            invitation_id=invitation_id,
            product_id=product_id,
            ship_to=ship_to,
        )


async def expire(databases: Databases, invitation_id: int) -> None:
    """Move an invitation's expiry into the past, as time passing would."""
    async with databases.session(GLOBAL_CELL) as session:
        found = await session.get(Invitation, invitation_id)
        assert found is not None
        found.expires_at = utcnow() - timedelta(days=1)


async def sign_in_creator(client: httpx.AsyncClient, who: CreatorAccount) -> str:
    """Sign in through the form as a creator; returns the session's CSRF token."""
    token = await csrf_token(client)
    response = await client.post(
        "/signin",
        data={
            "account": "creator",
            "email": who.email,
            "password": who.password,
            "csrf_token": token,
        },
    )
    assert response.status_code == 303, response.text
    return token
