"""Steps of the creators' and shoppers' pages: joining, signing in, a showcase, touches."""

import httpx
from sqlalchemy import select

from shoptide.affiliate.marketplace.models import ShowcaseItem
from shoptide.checkout.models import CartLine
from shoptide.content.models import Video, VideoProduct
from shoptide.creators.models import CreatorTouch
from shoptide.db import Databases
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.pages import csrf_token


def join_form(**fields: str) -> dict[str, str]:
    return {
        "display_name": "Maya",
        "handle": "maya_styles",
        "market": "US",
        "email": "maya@example.com",
        "password": factories.PASSWORD,
        **fields,
    }


async def join(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    """Fill in /creators/join and send it, as a visitor would."""
    token = await csrf_token(client, "/creators/join")
    return await client.post("/creators/join", data={**join_form(**fields), "csrf_token": token})


async def sign_in_creator(client: httpx.AsyncClient, email: str) -> httpx.Response:
    token = await csrf_token(client)
    return await client.post(
        "/signin",
        data={
            "account": "creator",
            "email": email,
            "password": factories.PASSWORD,
            "csrf_token": token,
        },
    )


async def showcase(databases: Databases, creator_id: int, *product_ids: int) -> None:
    """Put products on the creator's showcase, in this order."""
    async with databases.session(GLOBAL_CELL) as session:
        for position, product_id in enumerate(product_ids):
            session.add(
                ShowcaseItem(creator_id=creator_id, product_id=product_id, position=position)
            )


async def ready_video(
    databases: Databases, *, host_user_id: int, product_id: int, shop_id: int | None = None
) -> int:
    """A playable video of the US market tagging the product (no transcoding needed)."""
    async with databases.session("main") as session:
        video = Video(
            market_code="US",
            host_user_id=host_user_id,
            shop_id=shop_id,
            caption="Try-on haul",
            status="ready",
            poster_path="videos/x/poster.jpg",
            products=[VideoProduct(product_id=product_id)],
        )
        session.add(video)
        await session.flush()
        return video.id


async def touches_of(databases: Databases, shopper_id: int) -> list[CreatorTouch]:
    async with databases.session("main", write=False) as session:
        return list(
            await session.scalars(select(CreatorTouch).where(CreatorTouch.shopper_id == shopper_id))
        )


async def cart_line(databases: Databases, shopper_id: int) -> CartLine:
    async with databases.session("main", write=False) as session:
        line = await session.scalar(select(CartLine).where(CartLine.shopper_id == shopper_id))
    assert line is not None
    return line
