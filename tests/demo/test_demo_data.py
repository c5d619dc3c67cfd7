"""The demo world a person sees after `shoptide demo`: shops, a full catalog with pictures,
prices per market, shoppers and three months of orders, and the creators who led to some
of them, with their commissions on the books."""

import asyncio
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shoptide.accounts import service as accounts_service
from shoptide.accounts.models import User
from shoptide.accounts.service import Passwords
from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.earnings import flows as earnings
from shoptide.affiliate.marketplace.models import ShowcaseItem
from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.plans.models import SHOP_WIDE, OpenPlan
from shoptide.affiliate.rates import share
from shoptide.affiliate.samples import service as samples
from shoptide.affiliate.showcase import service as showcase
from shoptide.catalog.models import Listing, Product, ProductImage
from shoptide.content.models import Video, VideoProduct
from shoptide.creators import service as creators
from shoptide.creators.models import Creator
from shoptide.db import Databases, upgrade_all, utcnow
from shoptide.demo.affiliate import CREATORS, DEMO_CREATOR
from shoptide.demo.data import load_demo
from shoptide.demo.world import DEMO_PASSWORD, DEMO_SHOP, DemoSummary
from shoptide.errors import Conflict
from shoptide.inventory.models import Stock
from shoptide.ledger import service as ledger
from shoptide.ledger.models import LedgerEntry
from shoptide.live.models import LiveRoom
from shoptide.markets.models import Market
from shoptide.orders.models import Order, OrderLine, OrderStatusChange
from shoptide.settings import GLOBAL_CELL, Settings
from shoptide.shops.models import Shop, ShopMember

SVG = "{http://www.w3.org/2000/svg}svg"


@dataclass
class Demo:
    settings: Settings
    databases: Databases
    passwords: Passwords
    summary: DemoSummary
    now: datetime


async def _load(data_dir: Path, now: datetime, *, with_videos: bool = True) -> Demo:
    settings = Settings(data_dir=data_dir, password_time_cost=1, password_memory_cost_kib=64)
    await asyncio.to_thread(upgrade_all, settings)  # alembic's env runs its own event loop
    databases = Databases(settings)
    passwords = Passwords(settings)
    summary = await load_demo(
        databases, settings, seed=7, passwords=passwords, now=now, with_videos=with_videos
    )
    return Demo(settings, databases, passwords, summary, now)


@pytest.fixture(scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    loaded = await _load(tmp_path_factory.mktemp("demo"), utcnow())
    yield loaded
    await loaded.databases.dispose()


def _market_cell(demo: Demo, code: str = "US") -> str:
    return demo.settings.cell_of_market(code)


async def _scalar(demo: Demo, cell: str, query):  # type: ignore[no-untyped-def]
    async with demo.databases.session(cell, write=False) as session:
        return await session.scalar(query)


async def test_markets_and_shops_include_brands(demo: Demo) -> None:
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        markets = await session.scalar(select(func.count()).select_from(Market))
        shops = (await session.scalars(select(Shop))).all()
        owners = await session.scalar(
            select(func.count()).select_from(ShopMember).where(ShopMember.role == "owner")
        )
    assert markets >= 5
    assert len(shops) >= 30
    brands = {shop.name for shop in shops if shop.is_brand}
    assert {"Northwind Apparel", "Lumen Beauty"} <= brands
    assert len(brands) < len(shops) / 2  # mostly small merchants
    assert owners == len(shops)


async def test_catalog_has_a_thousand_published_products_with_drawn_pictures(demo: Demo) -> None:
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        published = await session.scalar(
            select(func.count()).select_from(Product).where(Product.status == "published")
        )
        without_picture = await session.scalar(
            select(func.count())
            .select_from(Product)
            .where(~Product.id.in_(select(ProductImage.product_id)))
        )
        filenames = (await session.scalars(select(ProductImage.filename))).all()
        titles = (await session.scalars(select(Product.title))).all()
    assert published >= 1000
    assert without_picture == 0
    assert len(set(titles)) > len(titles) / 2  # word lists give varied titles
    for filename in filenames:
        root = ET.parse(demo.settings.media_dir / filename).getroot()
        assert root.tag == SVG
        assert root.get("viewBox") == "0 0 600 600"


async def test_rupiah_prices_are_whole_and_plausible(demo: Demo) -> None:
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        rupiah = (
            await session.execute(
                select(Listing.variant_id, Listing.price_minor).where(Listing.market_code == "ID")
            )
        ).all()
        dollars = dict(
            (
                await session.execute(
                    select(Listing.variant_id, Listing.price_minor).where(
                        Listing.market_code == "US"
                    )
                )
            ).all()
        )
    assert rupiah
    for variant_id, price in rupiah:
        assert price % 1000 == 0, price  # IDR has no minor unit; shelves round to thousands
        assert 10_000 <= price <= 10_000_000
        if variant_id in dollars:  # same variant costs about 15,000 rupiah a dollar
            assert 12_000 <= price / (dollars[variant_id] / 100) <= 20_000


async def test_every_listed_variant_has_stock_in_its_markets_cell(demo: Demo) -> None:
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        listed = set((await session.execute(select(Listing.variant_id, Listing.market_code))).all())
    stocked: set[tuple[int, str]] = set()
    for cell in demo.settings.cells:
        async with demo.databases.session(cell, write=False) as session:
            stocked |= set(
                (await session.execute(select(Stock.variant_id, Stock.market_code))).all()
            )
    assert listed == stocked


async def test_shoppers_are_spread_over_markets(demo: Demo) -> None:
    by_market: Counter[str] = Counter()
    for cell in demo.settings.cells:
        async with demo.databases.session(cell, write=False) as session:
            rows = await session.execute(
                select(User.market_code, func.count())
                .where(User.role == "shopper")
                .group_by(User.market_code)
            )
            by_market.update(dict(rows.all()))
    assert sum(by_market.values()) >= 2000
    assert demo.summary.shoppers == sum(by_market.values())
    assert {"US", "ID", "GB", "VN"} <= set(by_market)


async def test_orders_span_the_last_ninety_days(demo: Demo) -> None:
    async with demo.databases.session(_market_cell(demo), write=False) as session:
        first, last, count = (
            await session.execute(
                select(func.min(Order.created_at), func.max(Order.created_at), func.count())
            )
        ).one()
        statuses = dict(
            (await session.execute(select(Order.status, func.count()).group_by(Order.status))).all()
        )
        orders_without_lines = await session.scalar(
            select(func.count()).select_from(Order).where(~Order.id.in_(select(OrderLine.order_id)))
        )
        histories_not_starting_placed = await session.scalar(
            select(func.count())
            .select_from(OrderStatusChange)
            .where(
                OrderStatusChange.from_status.is_(None),
                OrderStatusChange.to_status != "pending_payment",
            )
        )
    assert count >= 3000
    assert demo.now - timedelta(days=91) <= first < demo.now - timedelta(days=80)
    assert demo.now - timedelta(days=2) < last <= demo.now
    assert {"delivered", "shipped", "confirmed", "paid", "cancelled"} <= set(statuses)
    assert statuses["delivered"] > statuses["cancelled"]
    assert orders_without_lines == 0
    assert histories_not_starting_placed == 0


async def test_best_sellers_take_most_orders(demo: Demo) -> None:
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        ranked = (
            await session.scalars(select(Product.id).order_by(Product.popularity.desc()))
        ).all()
    async with demo.databases.session(_market_cell(demo), write=False) as session:
        units = dict(
            (
                await session.execute(
                    select(OrderLine.product_id, func.sum(OrderLine.quantity)).group_by(
                        OrderLine.product_id
                    )
                )
            ).all()
        )
    top = ranked[: len(ranked) // 10]
    assert sum(units.get(pid, 0) for pid in top) > 0.4 * sum(units.values())


async def test_demo_accounts_sign_in(demo: Demo) -> None:
    logins = {login.email: login for login in demo.summary.logins}
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        merchant = await accounts_service.authenticate(
            session,
            email="merchant@shoptide.test",
            password=DEMO_PASSWORD,
            passwords=demo.passwords,
            roles=("merchant",),
        )
        shop_id = await session.scalar(
            select(ShopMember.shop_id).where(
                ShopMember.user_id == merchant.id, ShopMember.role == "owner"
            )
        )
        staff_role = await session.scalar(
            select(ShopMember.role)
            .join(User, User.id == ShopMember.user_id)
            .where(User.email == "staff@shoptide.test", ShopMember.shop_id == shop_id)
        )
        await accounts_service.authenticate(
            session,
            email="operator@shoptide.test",
            password=DEMO_PASSWORD,
            passwords=demo.passwords,
            roles=("operator",),
        )
    async with demo.databases.session(_market_cell(demo, "ID"), write=False) as session:
        shopper = await accounts_service.authenticate(
            session,
            email="shopper.id@shoptide.test",
            password=DEMO_PASSWORD,
            passwords=demo.passwords,
            roles=("shopper",),
        )
    shop_orders = await _scalar(
        demo,
        _market_cell(demo),
        select(func.count()).select_from(Order).where(Order.shop_id == shop_id),
    )
    assert staff_role == "staff"
    assert shopper.market_code == "ID"
    assert shop_orders > 0  # the demo merchant has orders to work on
    assert logins["shopper@shoptide.test"].role == "shopper"


async def test_loading_twice_into_the_same_databases_is_refused(demo: Demo) -> None:
    with pytest.raises(Conflict):
        await load_demo(demo.databases, demo.settings, passwords=demo.passwords)


async def test_same_seed_gives_the_same_catalog(demo: Demo, tmp_path: Path) -> None:
    again = await _load(tmp_path, demo.now, with_videos=False)
    try:
        query = select(Product.title, Product.popularity).order_by(Product.id)
        async with (
            demo.databases.session(GLOBAL_CELL, write=False) as first,
            again.databases.session(GLOBAL_CELL, write=False) as second,
        ):
            assert (await first.execute(query)).all() == (await second.execute(query)).all()
        assert again.summary.orders == demo.summary.orders
        assert again.summary.commissions == demo.summary.commissions
    finally:
        await again.databases.dispose()


async def test_every_market_has_live_rooms_coming_and_the_demo_shop_hosts_one(
    demo: Demo,
) -> None:
    async with demo.databases.session(_market_cell(demo), write=False) as session:
        coming = (await session.scalars(select(LiveRoom).order_by(LiveRoom.scheduled_at))).all()
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        demo_shop = await session.scalar(select(Shop.id).where(Shop.name == DEMO_SHOP))

    by_market = Counter(room.market_code for room in coming)
    assert set(by_market) == {"US", "GB", "DE", "FR", "ID", "TH", "VN", "MY"}
    assert demo.summary.live_rooms == sum(by_market.values())
    assert all(room.scheduled_at > demo.now and room.products for room in coming)
    us_first = next(room for room in coming if room.market_code == "US")
    assert us_first.shop_id == demo_shop


async def test_demo_videos_wait_for_the_app_to_transcode_them(demo: Demo) -> None:
    async with demo.databases.session(_market_cell(demo), write=False) as session:
        videos = (await session.scalars(select(Video).order_by(Video.id))).all()
        tagged = {v.id: len((await session.scalars(select(VideoProduct).where(
            VideoProduct.video_id == v.id))).all()) for v in videos}  # fmt: skip

    assert demo.summary.videos == len(videos) == 6
    assert Counter(v.market_code for v in videos) == {"US": 3, "GB": 1, "ID": 1, "TH": 1}
    assert all(v.status == "processing" and v.upload_path for v in videos)
    assert all(1 <= count <= 3 for count in tagged.values())
    assert all((demo.settings.media_dir / v.upload_path).is_file() for v in videos)


# ---------------------------------------------------------------- the affiliate program


async def _creators(demo: Demo) -> list[Creator]:
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        return list(await session.scalars(select(Creator).order_by(Creator.id)))


async def _demo_creator(demo: Demo) -> Creator:
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        user = await accounts_service.authenticate(
            session,
            email=DEMO_CREATOR,
            password=DEMO_PASSWORD,
            passwords=demo.passwords,
            roles=("creator",),
        )
        return await creators.for_user(session, user.id)


async def test_creators_in_every_market_show_products_sold_there(demo: Demo) -> None:
    found = await _creators(demo)
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        showcases = {
            c.id: await showcase.products(session, creator_id=c.id, market=c.market_code)
            for c in found
        }
        stored = Counter((await session.scalars(select(ShowcaseItem.creator_id))).all())

    assert demo.summary.creators == len(found) == 20
    assert set(Counter(c.market_code for c in found)) == set(CREATORS)
    for creator in found:
        # the showcase page leaves out what is not on sale in the market: nothing is left out
        assert 5 <= len(showcases[creator.id]) == stored[creator.id] <= 15
        assert all(item.rate_bp for item in showcases[creator.id])  # each pays commission


async def test_the_demo_creator_signs_in_and_has_the_demo_shops_invitations(demo: Demo) -> None:
    creator = await _demo_creator(demo)
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        invitations = await plans.creator_invitations(session, creator_id=creator.id, now=demo.now)
        samples_ = await samples.for_creator(session, creator_id=creator.id)
        showcase_ = await showcase.products(session, creator_id=creator.id, market="US")

    login = next(login for login in demo.summary.logins if login.email == DEMO_CREATOR)
    assert (login.role, creator.handle, creator.market_code) == ("creator", "tidewater_tess", "US")
    assert {view.shop_name for view in invitations} == {DEMO_SHOP}
    assert sorted(view.status for view in invitations) == [
        "accepted",
        "accepted",
        "expired",
        "invited",
    ]
    assert sorted(view.sample.status for view in samples_) == ["requested", "shipped"]
    accepted = {p for view in invitations if view.status == "accepted" for p, _ in view.products}
    assert accepted <= {item.product_id for item in showcase_}  # she shows what she took on


async def test_most_shops_offer_open_plans_within_the_demos_rates(demo: Demo) -> None:
    async with demo.databases.session(GLOBAL_CELL, write=False) as session:
        shops = await session.scalar(select(func.count()).select_from(Shop))
        demo_shop = await session.scalar(select(Shop.id).where(Shop.name == DEMO_SHOP))
        open_plans = (await session.scalars(select(OpenPlan))).all()

    shop_wide = {p.shop_id: p.rate_bp for p in open_plans if p.product_id == SHOP_WIDE}
    own = [p.rate_bp for p in open_plans if p.product_id != SHOP_WIDE]
    assert demo_shop in shop_wide
    assert 0.6 * shops <= len(shop_wide) < shops
    assert all(500 <= rate <= 1500 for rate in shop_wide.values())
    assert own and all(rate <= 2500 for rate in own)
    assert all(p.rate_bp > shop_wide[p.shop_id] for p in open_plans if p.product_id != SHOP_WIDE)


async def test_creators_led_a_share_of_every_markets_sales(demo: Demo) -> None:
    led: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    async with demo.databases.session(_market_cell(demo), write=False) as session:
        rows = await session.execute(
            select(Order.market_code, OrderLine.creator_id.is_not(None), func.count())
            .join(Order, Order.id == OrderLine.order_id)
            .group_by(Order.market_code, OrderLine.creator_id.is_not(None))
        )
        for market, stamped, count in rows:
            lines[market] += count
            led[market] += count if stamped else 0
        too_late = await session.scalar(
            select(func.count())
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.creator_touched_at > Order.created_at)
        )
    assert set(led) == set(CREATORS)
    assert all(0.05 < led[market] / lines[market] < 0.25 for market in led), (led, lines)
    assert too_late == 0  # every touch came before its order


async def test_the_demo_creator_has_pending_settled_and_paid_out_earnings(demo: Demo) -> None:
    creator = await _demo_creator(demo)
    earned = await earnings.creator_earnings(demo.databases, creator_id=creator.id)

    (usd,) = earned.totals
    assert usd.currency == "USD"
    assert usd.pending_minor > 0 and usd.settled_minor > 0 and usd.paid_out_minor > 0
    assert {"pending", "settled", "paid_out"} <= {line.status for line in earned.lines}
    assert any(line.rate_bp == 2000 for line in earned.lines)  # the accepted invitation's rate
    for line in earned.lines:
        if line.status in ("settled", "paid_out"):  # the return window had passed
            assert line.settle_after is not None and line.settle_after <= demo.now


async def test_commissions_follow_the_orders_they_were_earned_on(demo: Demo) -> None:
    async with demo.databases.session(_market_cell(demo), write=False) as session:
        rows = (
            await session.execute(
                select(Commission, OrderLine, Order.status)
                .join(OrderLine, OrderLine.id == Commission.order_line_id)
                .join(Order, Order.id == Commission.order_id)
            )
        ).all()
        stamped = await session.scalar(
            select(func.count()).select_from(OrderLine).where(OrderLine.creator_id.is_not(None))
        )

    assert demo.summary.commissions == len(rows) == stamped  # every stamped line pays
    for commission, line, status in rows:
        assert commission.creator_id == line.creator_id
        assert commission.amount_minor == share(line.line_total_minor, commission.rate_bp)
        assert (status == "cancelled") == (commission.status == "reversed")
        if status != "delivered":
            assert commission.status in ("pending", "reversed")


async def test_the_books_balance_and_match_the_commissions(demo: Demo) -> None:
    for cell in demo.settings.cells:
        async with demo.databases.session(cell, write=False) as session:
            per_currency = dict(
                (
                    await session.execute(
                        select(LedgerEntry.currency, func.sum(LedgerEntry.amount_minor)).group_by(
                            LedgerEntry.currency
                        )
                    )
                ).all()
            )
            books = await ledger.balances(session, prefix="creator:")
            owed: Counter[tuple[str, str]] = Counter()
            for commission in await session.scalars(select(Commission)):
                side = {"pending": "pending", "settled": "available"}.get(commission.status)
                if side:
                    account = f"creator:{commission.creator_id}:{side}"
                    owed[(account, commission.currency)] -= (
                        commission.amount_minor - commission.reversed_minor
                    )
        assert per_currency and set(per_currency.values()) == {0}
        assert {key: value for key, value in books.items() if value} == {
            key: value for key, value in owed.items() if value
        }
