"""The demo's affiliate program: creators in every market, open plans on most shops, the
demo shop's invitations to the demo creator (with sample requests), showcases, and the order
lines creators led to, booked by the affiliate domain's own functions.

The program goes in before the orders are drawn, so that one line in ten of a product that
pays commission can be stamped with a creator of its market (`Attribution.stamp`, on a
random stream of its own: the orders are drawn as before). Once the orders are in, every
order a creator led to lives the life the app gives it, through the affiliate domain's
functions: accrual at payment, the return window from delivery, reversal when it was
cancelled; then settlement and one payout run a month ago, and settlement today, so
creators have paid-out, settled and pending lines.

Only the orders creators led to are booked: the ledger's other paid lines (the demo's other
~8,000 orders) are left out, because accrue_order books one order per transaction, about
20 ms each on SQLite, minutes for every order. So merchants' receivables in the demo count
the creator-led orders only.
"""

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts.models import User
from shoptide.affiliate.commissions import flows as commissions
from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.marketplace.models import ShowcaseItem
from shoptide.affiliate.payouts import flows as payouts
from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.plans.models import SHOP_WIDE, OpenPlan
from shoptide.affiliate.samples import service as samples
from shoptide.catalog.models import Listing, Product
from shoptide.creators import service as creators
from shoptide.db import Databases
from shoptide.orders.models import Order, OrderLine
from shoptide.settings import GLOBAL_CELL
from shoptide.shops.models import Shop

DEMO_CREATOR = "creator@shoptide.test"
ATTRIBUTED_SHARE = 0.1  # of the lines of products that pay commission (~9% of all lines)
PLAN_SHARE = 0.8  # of shops with an open plan
SHOP_RATES_BP = (500, 600, 750, 800, 1000, 1200, 1500)
PRODUCT_RATE_SHARE = 0.35  # of shops with a plan that also pay more on a few products
MAX_PRODUCT_RATE_BP = 2500
DEMO_SHOP_RATE_BP = 1000
SHOWCASE_SIZE = (5, 15)
DEMO_CREATOR_WEIGHT = 3  # the demo creator leads more of her market's sales than the others
PAYOUT_DAYS_AGO = 30
PAYOUT_RUN = "demo"

# fmt: off
# market -> (handle, display name, bio); the first US creator is the demo login
CREATORS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "US": (("tidewater_tess", "Tess Waters", "Cosy kitchens, slow mornings, honest reviews."),
           ("maya_styles", "Maya Styles", "Outfit ideas under $50."),
           ("gadget_gabe", "Gabe Ortiz", "Tech that earns its place on your desk."),
           ("homebody_hana", "Hana Brooks", "Small apartment, big ideas.")),
    "GB": (("london_lou", "Lou Bennett", "High street finds and what to skip."),
           ("tea_and_tech", "Oliver Hart", "Gadgets, tested over a cuppa.")),
    "DE": (("lena_lifestyle", "Lena Vogel", "Wohnen, Mode, Alltag."),
           ("technik_tim", "Tim Krause", "Technik ehrlich getestet.")),
    "FR": (("chloe_chic", "Chloé Martin", "Mode et beauté à petit prix."),
           ("maison_hugo", "Hugo Lefèvre", "Déco et cuisine du quotidien.")),
    "ID": (("dewi_daily", "Dewi Lestari", "Rekomendasi harian yang jujur."),
           ("budi_gadget", "Budi Santoso", "Review gadget tanpa basa-basi."),
           ("rina_beauty", "Rina Kusuma", "Skincare untuk kulit tropis."),
           ("rumah_ayu", "Ayu Pratama", "Rumah rapi, hati senang.")),
    "TH": (("ploy_picks", "Ploy Srisuk", "ของดีที่ใช้จริง"),
           ("anan_unbox", "Anan Boonmee", "แกะกล่องทุกวัน")),
    "VN": (("lan_review", "Nguyễn Lan", "Review thật, mua thật."),
           ("minh_tech", "Trần Minh", "Đồ công nghệ đáng tiền.")),
    "MY": (("aisyah_finds", "Aisyah Rahman", "Barang best untuk rumah dan gaya."),
           ("junhao_gear", "Tan Jun Hao", "Gear reviews, no fluff.")),
}
DEMO_HANDLE = CREATORS["US"][0][0]  # the demo creator's
DEMO_SAMPLE_ADDRESS = "Tess Waters, 214 Harbor St, Seattle, WA 98101, United States"
# fmt: on


@dataclass(frozen=True)
class DemoInvitation:
    """One invitation from the demo shop to the demo creator, as it stands now."""

    rate_bp: int
    products: slice  # of the demo shop's products sold in the US, best sellers first
    sent_days_ago: int
    runs_days: int  # from when it was sent
    accepted: bool  # else left waiting (or to expire)
    samples: bool = False
    message: str = ""


DEMO_INVITATIONS = (
    DemoInvitation(2000, slice(0, 3), 85, 150, accepted=True, samples=True,
                   message="We love your kitchen videos: 20% on our best sellers, and samples."),
    DemoInvitation(1500, slice(3, 5), 40, 120, accepted=True),
    DemoInvitation(1800, slice(5, 7), 2, 14, accepted=False, samples=True,
                   message="New arrivals: want a sample before you film?"),
    DemoInvitation(2500, slice(7, 8), 45, 30, accepted=False,
                   message="25% on this one for a month: let us know!"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OnSale:
    """A published product sold in one market."""

    product_id: int
    shop_id: int
    popularity: int


@dataclass
class MarketCreators:
    """One market's side of the program: what the order drawing needs to stamp lines."""

    creator_ids: list[int] = field(default_factory=list)
    paying: set[int] = field(default_factory=set)  # products that pay commission here
    showcased: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Program:
    markets: dict[str, MarketCreators]
    demo_creator_id: int  # 0 where the demo has no US market
    creators: int
    seed: int

    def attribution(self, market_code: str) -> "Attribution":
        return Attribution(
            self.markets.get(market_code, MarketCreators()),
            random.Random(f"{self.seed}:affiliate:{market_code}"),
            demo_creator_id=self.demo_creator_id,
        )


NO_CREATOR: dict[str, Any] = {
    "creator_id": None,
    "creator_touched_at": None,
    "creator_source": "",
    "creator_source_id": None,
}


class Attribution:
    """Who led the shoppers of one market to what they bought."""

    def __init__(self, market: MarketCreators, rng: random.Random, *, demo_creator_id: int) -> None:
        self.market, self.rng = market, rng
        self.weights = [
            DEMO_CREATOR_WEIGHT if creator_id == demo_creator_id else 1
            for creator_id in market.creator_ids
        ]

    def stamp(self, product_id: int, placed: datetime) -> dict[str, Any]:
        """An order line's creator columns: a creator of the market for about
        ATTRIBUTED_SHARE of the lines of products that pay commission, else none. A creator
        who shows the product on their showcase led to it from there; otherwise a video.
        The touch came a little before the order, well within the attribution window."""
        rng = self.rng
        if product_id not in self.market.paying or rng.random() >= ATTRIBUTED_SHARE:
            return NO_CREATOR
        if showing := self.market.showcased.get(product_id):
            creator_id, source = rng.choice(showing), "showcase"
        else:
            creator_id = rng.choices(self.market.creator_ids, weights=self.weights)[0]
            source = "video"
        return {
            "creator_id": creator_id,
            "creator_touched_at": placed - timedelta(minutes=rng.uniform(2, 3 * 24 * 60)),
            "creator_source": source,
            "creator_source_id": None,  # the demo's creators have no videos of their own
        }


# ---------------------------------------------------------------- the program (global cell)


async def _on_sale(session: AsyncSession) -> dict[str, list[OnSale]]:
    """market → its published products, best sellers first."""
    rows = await session.execute(
        select(Listing.market_code, Product.id, Product.shop_id, Product.popularity)
        .join(Product, Product.id == Listing.product_id)
        .where(Product.status == "published")
        .distinct()
        .order_by(Listing.market_code, Product.popularity.desc(), Product.id)
    )
    by_market: dict[str, list[OnSale]] = defaultdict(list)
    for market, product_id, shop_id, popularity in rows:
        by_market[market].append(OnSale(product_id, shop_id, popularity))
    return by_market


async def _add_creators(
    session: AsyncSession,
    market_codes: Sequence[str],
    *,
    password_hash: str,
    now: datetime,
) -> dict[str, list[int]]:
    """market → its creators' ids (accounts with the shared demo password hash)."""
    ids: dict[str, list[int]] = {}
    for code in market_codes:
        for n, (handle, name, bio) in enumerate(CREATORS.get(code, ())):
            email = DEMO_CREATOR if (code, n) == ("US", 0) else f"{handle}@creator.shoptide.test"
            user = User(
                email=email,
                password_hash=password_hash,
                display_name=name,
                role="creator",
                market_code=code,
                is_active=True,
                created_at=now - timedelta(days=400 - 10 * n),
            )
            session.add(user)
            await session.flush()
            creator = await creators.create(
                session, user_id=user.id, handle=handle, display_name=name, market_code=code
            )
            creator.bio, creator.created_at = bio, user.created_at
            ids.setdefault(code, []).append(creator.id)
    return ids


def _open_plans(
    rng: random.Random,
    shop_ids: Sequence[int],
    products_of: dict[int, list[int]],
    *,
    demo_shop_id: int,
) -> list[OpenPlan]:
    """Most shops pay a shop-wide 5 to 15%; some pay more, up to 25%, on a few products."""
    rows = []
    for shop_id in shop_ids:
        is_demo = shop_id == demo_shop_id
        if not is_demo and rng.random() >= PLAN_SHARE:
            continue
        shop_bp = DEMO_SHOP_RATE_BP if is_demo else rng.choice(SHOP_RATES_BP)
        rows.append(OpenPlan(shop_id=shop_id, product_id=SHOP_WIDE, rate_bp=shop_bp))
        own = products_of.get(shop_id, [])
        if own and (is_demo or rng.random() < PRODUCT_RATE_SHARE):
            for product_id in rng.sample(own, min(len(own), rng.randint(1, 4))):
                rate_bp = min(MAX_PRODUCT_RATE_BP, shop_bp + 100 * rng.randint(3, 10))
                rows.append(OpenPlan(shop_id=shop_id, product_id=product_id, rate_bp=rate_bp))
    return rows


def _pick_showcase(rng: random.Random, candidates: list[OnSale], first: list[int]) -> list[int]:
    """5 to 15 products, `first` first, the rest drawn with a taste for best sellers."""
    size = rng.randint(*SHOWCASE_SIZE)
    picked = list(dict.fromkeys(first))[:size]
    pool = [c for c in candidates if c.product_id not in picked]
    weights = [1 + c.popularity for c in pool]
    while len(picked) < size and pool:
        n = rng.choices(range(len(pool)), weights=weights)[0]
        picked.append(pool.pop(n).product_id)
        weights.pop(n)
    return picked


async def _invite_demo_creator(
    session: AsyncSession,
    *,
    shop_id: int,
    creator_id: int,
    products: list[int],
    now: datetime,
) -> list[int]:
    """The demo shop's invitations to the demo creator, through the plans service (as if
    made on their days); returns the products of the accepted ones."""
    accepted: list[int] = []
    for spec in DEMO_INVITATIONS:
        sent = now - timedelta(days=spec.sent_days_ago)
        chosen = products[spec.products]
        if not chosen:
            continue
        invitation = await plans.invite(
            session,
            shop_id=shop_id,
            handle=DEMO_HANDLE,
            rate_bp=spec.rate_bp,
            product_ids=chosen,
            expires_at=sent + timedelta(days=spec.runs_days),
            samples_offered=spec.samples,
            message=spec.message,
            now=sent,
        )
        invitation.created_at = sent
        await session.flush()  # before the service reloads it
        if not spec.accepted:
            continue
        await plans.accept(
            session, creator_id=creator_id, invitation_id=invitation.id, now=sent + timedelta(1)
        )
        accepted += chosen
        if spec.samples:
            await _request_samples(session, invitation.id, shop_id, creator_id, chosen, sent)
    return accepted


async def _request_samples(
    session: AsyncSession,
    invitation_id: int,
    shop_id: int,
    creator_id: int,
    products: list[int],
    sent: datetime,
) -> None:
    """One sample shipped long ago, one request waiting for the shop."""
    for n, product_id in enumerate(products[:2]):
        asked = sent + timedelta(days=2 + 60 * n)
        sample = await samples.request(
            session,
            creator_id=creator_id,
            invitation_id=invitation_id,
            product_id=product_id,
            ship_to=DEMO_SAMPLE_ADDRESS,
            note="For a haul video." if n == 0 else "Could I try this one too?",
            now=asked,
        )
        sample.created_at = asked
        await session.flush()  # before the service reloads it
        if n == 0:
            await samples.decide(
                session, shop_id=shop_id, sample_id=sample.id, approve=True, now=asked
            )
            await samples.ship(
                session,
                shop_id=shop_id,
                sample_id=sample.id,
                carrier="UPS",
                tracking_number="1Z999AA10123456784",
            )


def _products_of(on_sale: dict[str, list[OnSale]]) -> dict[int, list[int]]:
    """shop → its products on sale anywhere, best sellers first."""
    products_of: dict[int, list[int]] = defaultdict(list)
    for product in {p.product_id: p for ps in on_sale.values() for p in ps}.values():
        products_of[product.shop_id].append(product.product_id)
    return products_of


def _add_showcases(
    session: AsyncSession,
    rng: random.Random,
    creator_ids: list[int],
    candidates: list[OnSale],
    *,
    first: dict[int, list[int]],
    now: datetime,
) -> MarketCreators:
    """Each creator of a market shows 5 to 15 of its products that pay commission (and
    `first` the creator's invited products, first)."""
    market = MarketCreators(creator_ids, paying={p.product_id for p in candidates})
    for creator_id in creator_ids:
        showcase = _pick_showcase(rng, candidates, first.get(creator_id, []))
        for position, product_id in enumerate(showcase):
            session.add(
                ShowcaseItem(
                    creator_id=creator_id,
                    product_id=product_id,
                    position=position,
                    added_at=now - timedelta(days=rng.uniform(1, 80)),
                )
            )
            market.showcased[product_id].append(creator_id)
    return market


async def create_program(
    databases: Databases,
    *,
    market_codes: Sequence[str],
    demo_shop: str,
    seed: int,
    password_hash: str,
    now: datetime,
) -> Program:
    """Creators, open plans, the demo shop's invitations and every creator's showcase, in
    the global cell (after the catalog)."""
    rng = random.Random(f"{seed}:affiliate")
    async with databases.session(GLOBAL_CELL) as session:
        on_sale = await _on_sale(session)
        shops = dict((await session.execute(select(Shop.name, Shop.id).order_by(Shop.id))).all())
        demo_shop_id = shops[demo_shop]
        open_plans = _open_plans(
            rng, sorted(shops.values()), _products_of(on_sale), demo_shop_id=demo_shop_id
        )
        session.add_all(open_plans)
        creator_ids = await _add_creators(
            session, market_codes, password_hash=password_hash, now=now
        )
        demo_creator_id = creator_ids.get("US", [0])[0]
        invited: list[int] = []
        if demo_creator_id:
            invited = await _invite_demo_creator(
                session,
                shop_id=demo_shop_id,
                creator_id=demo_creator_id,
                products=[p.product_id for p in on_sale["US"] if p.shop_id == demo_shop_id],
                now=now,
            )
        paying_shops = {plan.shop_id for plan in open_plans}
        markets = {
            code: _add_showcases(
                session,
                rng,
                ids,
                [p for p in on_sale[code] if p.shop_id in paying_shops],
                first={demo_creator_id: invited},
                now=now,
            )
            for code, ids in creator_ids.items()
        }
    return Program(
        markets,
        demo_creator_id=demo_creator_id,
        creators=sum(len(ids) for ids in creator_ids.values()),
        seed=seed,
    )


# ---------------------------------------------------------------- the books (market cells)


LED = select(OrderLine.order_id).where(OrderLine.creator_id.is_not(None))  # orders creators led to


async def _book_cell(databases: Databases, cell: str) -> int:
    """Accrue, start the return windows of and reverse the cell's orders that creators
    led to, as the order events would have; returns how many commissions were written."""
    async with databases.session(cell, write=False) as session:
        order_ids = list(await session.scalars(LED.distinct().order_by(OrderLine.order_id)))
    written = 0
    for order_id in order_ids:
        written += await commissions.accrue_order(databases, cell=cell, order_id=order_id)
    async with databases.session(cell, write=False) as session:
        earning = (
            await session.execute(
                select(Order.id, Order.delivered_at)
                .where(Order.id.in_(select(Commission.order_id)))
                .order_by(Order.id)
            )
        ).all()
        cancelled = list(
            await session.scalars(
                select(Order.id)
                .where(Order.status == "cancelled", Order.id.in_(LED))
                .order_by(Order.id)
            )
        )
    for order_id, delivered_at in earning:
        if delivered_at is not None:
            await commissions.start_return_window(
                databases, cell=cell, order_id=order_id, delivered_at=delivered_at
            )
    for order_id in cancelled:
        await commissions.reverse_cancelled_order(databases, cell=cell, order_id=order_id)
    return written


async def book_orders(databases: Databases, *, now: datetime) -> int:
    """Book the orders creators led to in every cell, settle what is due, and pay out;
    returns how many commissions were written."""
    written = 0
    for cell in databases.each_cell():
        written += await _book_cell(databases, cell)
    paid_out_at = now - timedelta(days=PAYOUT_DAYS_AGO)
    await payouts.settle_due(databases, now=paid_out_at)
    await payouts.run_payouts(databases, run_key=PAYOUT_RUN, now=paid_out_at)
    await payouts.settle_due(databases, now=now)
    return written
