"""The creators domain on its own: the touch in force is the last one within the market's
window, a host who is no creator touches no one, and a touch credits its creator at payment
unless the purchase is the creator's own."""

from datetime import timedelta

from sqlalchemy import update

from shoptide.accounts.models import User
from shoptide.creators import service as creators
from shoptide.db import utcnow
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import support


async def _market(databases, code: str = "US") -> Market:
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        return await markets_service.get(global_, code)


async def test_the_touch_in_force_is_the_shoppers_last_for_the_product(databases):
    maya, tess = await support.creator(databases), await support.creator(databases)
    shopper = await factories.shopper(databases)
    market = await _market(databases)
    now = utcnow()

    async with databases.session(shopper.cell) as cell:
        await creators.record_touch(
            cell,
            shopper_id=shopper.id,
            product_id=7,
            creator_id=maya.id,
            source_kind="link",
            at=now - timedelta(hours=2),
        )
        await creators.record_touch(
            cell,
            shopper_id=shopper.id,
            product_id=7,
            creator_id=tess.id,
            source_kind="video",
            source_id=41,
            at=now - timedelta(hours=1),
        )
        await creators.record_touch(
            cell, shopper_id=shopper.id, product_id=8, creator_id=maya.id, source_kind="link"
        )
        touch = await creators.in_force(
            cell, shopper_id=shopper.id, product_id=7, market=market, now=now
        )
        other = await creators.in_force(
            cell, shopper_id=shopper.id + 1, product_id=7, market=market, now=now
        )

    assert touch == creators.Touch(tess.id, "video", 41, now - timedelta(hours=1))
    assert other is None  # another shopper was touched by no one


async def test_a_touch_counts_for_the_markets_window_and_no_longer(databases):
    maya = await support.creator(databases)
    shopper = await factories.shopper(databases)
    market = await _market(databases)
    touched_at = utcnow() - timedelta(days=3)
    window = timedelta(days=market.attribution_window_days)

    async with databases.session(shopper.cell) as cell:
        await creators.record_touch(
            cell,
            shopper_id=shopper.id,
            product_id=7,
            creator_id=maya.id,
            source_kind="link",
            at=touched_at,
        )
        last_moment = await creators.in_force(
            cell, shopper_id=shopper.id, product_id=7, market=market, now=touched_at + window
        )
        after = await creators.in_force(
            cell,
            shopper_id=shopper.id,
            product_id=7,
            market=market,
            now=touched_at + window + timedelta(seconds=1),
        )

    assert creators.window(market) == window
    assert last_moment is not None and last_moment.creator_id == maya.id
    assert after is None
    assert creators.within_window(touched_at, touched_at + window, market)
    assert not creators.within_window(
        touched_at, touched_at + window + timedelta(seconds=1), market
    )


async def test_only_a_host_who_is_a_creator_touches_the_buyer(databases):
    maya = await support.creator(databases)
    merchant = await factories.merchant(databases)
    shopper = await factories.shopper(databases)
    market = await _market(databases)

    async with databases.session(GLOBAL_CELL, write=False) as global_:
        hosts = await creators.creator_hosts(global_, [maya.user_id, merchant.id])
    async with databases.session(shopper.cell) as cell:
        for host, product_id in ((merchant.id, 1), (maya.user_id, 2)):
            await creators.touch_from_source(
                cell,
                hosts,
                shopper_id=shopper.id,
                product_id=product_id,
                kind="live",
                source_id=9,
                host_user_id=host,
            )
        by_merchant = await creators.in_force(
            cell, shopper_id=shopper.id, product_id=1, market=market
        )
        by_maya = await creators.in_force(cell, shopper_id=shopper.id, product_id=2, market=market)

    assert hosts == {maya.user_id: maya.id}
    assert by_merchant is None
    assert by_maya is not None and (by_maya.creator_id, by_maya.source_kind) == (maya.id, "live")


async def test_a_creators_own_purchase_credits_no_one(databases):
    maya = await support.creator(databases, email="Maya@Example.com")
    closed = await support.creator(databases)
    market = await _market(databases)
    async with databases.session(GLOBAL_CELL) as global_:
        await global_.execute(update(User).where(User.id == closed.user_id).values(is_active=False))
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        emails = await creators.creator_emails(global_, [maya.id, closed.id])
    paid_at = utcnow()

    def credited(creator_id: int, shopper_email: str | None, days_ago: int = 1) -> bool:
        return creators.credits(
            creator_id=creator_id,
            touched_at=paid_at - timedelta(days=days_ago),
            paid_at=paid_at,
            market=market,
            creator_emails=emails,
            shopper_email=shopper_email,
        )

    assert emails == {maya.id: "maya@example.com"}  # a closed account earns nothing
    assert credited(maya.id, "ada@example.com")
    assert not credited(maya.id, "maya@example.com")  # her own purchase (the case aside)
    assert not credited(closed.id, "ada@example.com")
    assert not credited(maya.id, "ada@example.com", days_ago=market.attribution_window_days + 1)
