"""The demo catalog, drawn into rows for the global cell: categories, brands and merchants
with their shops, 1,000+ products with variants, prices per market and drawn pictures, and
what each market offers shoppers, weighted by a long-tail popularity."""

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from itertools import accumulate

from sqlalchemy import Table

from shoptide.accounts.models import User
from shoptide.catalog.models import Category, Listing, Product, ProductImage, Variant
from shoptide.demo import images
from shoptide.demo.words import (
    BRANDS,
    CATEGORIES,
    CATEGORY_BY_SLUG,
    CLOSERS,
    DEMO_SHOP_SPEC,
    LOCALITIES,
    MERCHANT_FIRST,
    MERCHANT_SECOND,
    MERCHANTS,
    NEUTRAL_TINTS,
    PALETTE,
    PRICE_LEVELS,
    TITLE_SUFFIXES,
    CategorySpec,
)
from shoptide.demo.world import (
    DEMO_MERCHANT,
    DEMO_OPERATOR,
    DEMO_STAFF,
    ORDER_DAYS,
    DemoSummary,
    Row,
    Rows,
    ascii_slug,
    id_seed,
    table_of,
)
from shoptide.markets.models import Market
from shoptide.money import Money
from shoptide.shops.models import Shop, ShopMember


def nice_price(usd: Decimal, currency: str) -> Money:
    """A shelf price in the currency at its usual price points (12.99 USD -> 199000 IDR)."""
    rate, step, charm = PRICE_LEVELS[currency]
    steps = (usd * rate / step).to_integral_value(rounding=ROUND_CEILING)
    return Money.from_decimal(max(steps * step - charm, step - charm), currency)


def _zipf_popularity(rng: random.Random, count: int) -> list[int]:
    """Units sold per item: a few best sellers and a long tail, in shuffled order."""
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    return [int(6000 / rank**0.95) + rng.randint(0, 4) for rank in ranks]


@dataclass(frozen=True, slots=True)
class Offer:
    """One listed variant in one market: what an order line is made from."""

    shop_id: int
    product_id: int
    variant_id: int
    sku: str
    title: str
    label: str
    price_minor: int


@dataclass
class Catalog:
    rows: Rows
    images: list[images.ImageSpec]
    offers: dict[str, list[Offer]]  # market -> offers
    weights: dict[str, list[float]]  # market -> cumulative popularity, offer by offer
    listed: dict[str, list[int]]  # market -> variant ids with a price there (drafts too)
    summary: DemoSummary


@dataclass(frozen=True)
class ShopPlan:
    name: str
    home_market: str
    categories: tuple[str, ...]
    products: int
    is_brand: bool = False
    owner_email: str = ""


def _shop_plans(rng: random.Random, market_codes: Sequence[str]) -> list[ShopPlan]:
    """Brands, the demo merchant's shop, then small merchants with made-up names."""

    def home(code: str) -> str:  # a trimmed market list may lack the brand's own
        return code if code in market_codes else market_codes[0]

    plans = [ShopPlan(name, home(code), cats, n, is_brand=True) for name, code, cats, n in BRANDS]
    name, code, cats, n = DEMO_SHOP_SPEC
    plans.append(ShopPlan(name, home(code), cats, n, owner_email=DEMO_MERCHANT))
    names = rng.sample([f"{a} {b}" for a in MERCHANT_FIRST for b in MERCHANT_SECOND], MERCHANTS)
    slugs = [c.slug for c in CATEGORIES]
    plans += [
        ShopPlan(
            name,
            rng.choice(market_codes),
            tuple(rng.sample(slugs, rng.randint(1, 3))),
            rng.randint(20, 36),
        )
        for name in names
    ]
    return plans


def _add_merchant(rows: Rows, *, email: str, name: str, hash_: str, created: datetime) -> int:
    return rows.add(
        User,
        email=email,
        password_hash=hash_,
        display_name=name,
        role="merchant",
        market_code=None,
        is_active=True,
        created_at=created,
    )["id"]


def _add_shops(
    rows: Rows, rng: random.Random, plans: list[ShopPlan], *, hash_: str, now: datetime
) -> list[int]:
    ids = []
    for plan in plans:
        created = now - timedelta(days=rng.randint(200, 700))
        slug = ascii_slug(plan.name)
        shop_id = rows.add(
            Shop,
            name=plan.name,
            slug=slug,
            home_market=plan.home_market,
            is_brand=plan.is_brand,
            created_at=created,
        )["id"]
        english = LOCALITIES["US"]  # every owner goes by an English name
        owner_name = f"{rng.choice(english.first)} {rng.choice(english.last)}"
        owner = _add_merchant(
            rows,
            email=plan.owner_email or f"{slug}@merchant.shoptide.test",
            name=owner_name,
            hash_=hash_,
            created=created,
        )
        rows.add(ShopMember, shop_id=shop_id, user_id=owner, role="owner")
        if plan.owner_email == DEMO_MERCHANT:
            staff = _add_merchant(
                rows, email=DEMO_STAFF, name="Sam Rivera", hash_=hash_, created=created
            )
            rows.add(ShopMember, shop_id=shop_id, user_id=staff, role="staff")
        ids.append(shop_id)
    return ids


def _title(rng: random.Random, spec: CategorySpec, noun: str, plan: ShopPlan) -> str:
    title = f"{rng.choice(spec.adjectives)} {noun}"
    if plan.is_brand:
        title = f"{plan.name.split()[0]} {title}"
    if rng.random() < 0.12:
        title += f" ({rng.choice(TITLE_SUFFIXES)})"
    return title


def _description(rng: random.Random, spec: CategorySpec, title: str) -> str:
    features = rng.sample(spec.features, 2)
    return f"{title}. {' '.join(features)} {rng.choice(CLOSERS)}"


def _variant_options(rng: random.Random, spec: CategorySpec) -> list[tuple[str, str, int]]:
    """(colour, size, size index) for 1 to 6 variants."""
    colours = [name for name, _ in rng.sample(PALETTE, rng.randint(1, 3))] if spec.colours else [""]
    sizes: Sequence[str] = [""]
    if spec.sizes:
        count = rng.randint(1, min(len(spec.sizes), 6 // len(colours)))
        start = rng.randint(0, len(spec.sizes) - count)
        sizes = spec.sizes[start : start + count]
    return [
        (colour, size, spec.sizes.index(size) if size else 0)
        for colour in colours
        for size in sizes
    ]


class CatalogBuilder:
    """Draws the catalog into rows; one instance per load."""

    def __init__(
        self, rng: random.Random, markets: Sequence[Market], rows: Rows, seed: int, now: datetime
    ) -> None:
        self.rng, self.markets, self.rows, self.seed, self.now = rng, markets, rows, seed, now
        self.images: list[images.ImageSpec] = []
        self.category_ids: dict[str, int] = {}
        # product row, [(variant row, listing row)]
        self.listed: list[tuple[Row, list[tuple[Row, Row]]]] = []

    def categories(self) -> None:
        for position, spec in enumerate(CATEGORIES):
            self.category_ids[spec.slug] = self.rows.add(
                Category, slug=spec.slug, name=spec.name, position=position
            )["id"]

    def product(self, shop_id: int, plan: ShopPlan) -> None:
        rng = self.rng
        spec = CATEGORY_BY_SLUG[rng.choice(plan.categories)]
        noun = rng.choice(spec.nouns)
        title = _title(rng, spec, noun, plan)
        created = self.now - timedelta(days=rng.uniform(ORDER_DAYS + 5, 540))
        product = self.rows.add(
            Product,
            shop_id=shop_id,
            category_id=self.category_ids[spec.slug],
            title=title,
            description=_description(rng, spec, title),
            status="draft" if rng.random() < 0.03 else "published",
            popularity=0,
            created_at=created,
            updated_at=created,
        )
        usd = Decimal(rng.randint(*spec.usd)) + Decimal("0.99")
        markets = [
            m
            for m in self.markets
            if m.currency in PRICE_LEVELS
            and (plan.is_brand or m.code == plan.home_market or rng.random() < 0.8)
        ]
        options = _variant_options(rng, spec)
        pairs = []
        for position, (colour, size, size_index) in enumerate(options):
            variant = self.rows.add(
                Variant,
                product_id=product["id"],
                size=size,
                colour=colour,
                sku=f"ST-{product['id']:05d}-{position + 1}",
                position=position,
            )
            price = usd * (1 + spec.size_step * size_index)
            pairs += [
                (
                    variant,
                    self.rows.add(
                        Listing,
                        variant_id=variant["id"],
                        product_id=product["id"],
                        market_code=market.code,
                        currency=market.currency,
                        price_minor=nice_price(price, market.currency).amount,
                    ),
                )
                for market in markets
            ]
        self.listed.append((product, pairs))
        self._images(product["id"], spec, noun, [colour for colour, _, _ in options])

    def _images(self, product_id: int, spec: CategorySpec, noun: str, colours: list[str]) -> None:
        """1 to 3 pictures, in the variants' colours where the product comes in colours."""
        hexes = [hex_ for name, hex_ in PALETTE if name in colours]
        tints = hexes or [self.rng.choice(NEUTRAL_TINTS)]
        for n in range(self.rng.randint(1, 3)):
            filename = images.image_filename(product_id, n)
            self.images.append(
                images.ImageSpec(
                    filename,
                    id_seed(self.seed, product_id, n),
                    spec.shape,
                    tints[n % len(tints)],
                    noun,
                )
            )
            self.rows.add(ProductImage, product_id=product_id, filename=filename, position=n)

    def popularity(self, promoted_shop: int) -> None:
        """Long-tail popularity; the demo shop gets a few best sellers so it has orders."""
        products = [product for product, _ in self.listed]
        for product, units in zip(products, _zipf_popularity(self.rng, len(products)), strict=True):
            product["popularity"] = units if product["status"] == "published" else 0
        ranked = sorted(products, key=lambda p: -p["popularity"])
        own = [p for p in products if p["shop_id"] == promoted_shop and p["status"] == "published"]
        for product, rank in zip(own[:3], (4, 11, 24), strict=False):
            other = ranked[rank]
            product["popularity"], other["popularity"] = other["popularity"], product["popularity"]

    def offers(self) -> tuple[dict[str, list[Offer]], dict[str, list[float]]]:
        offers: dict[str, list[Offer]] = defaultdict(list)
        weights: dict[str, list[float]] = defaultdict(list)
        for product, variants in self.listed:
            if product["status"] != "published":
                continue
            per_variant = product["popularity"] / max(1, len({v["id"] for v, _ in variants}))
            for variant, listing in variants:
                label = " / ".join(p for p in (variant["colour"], variant["size"]) if p)
                offers[listing["market_code"]].append(
                    Offer(
                        product["shop_id"],
                        product["id"],
                        variant["id"],
                        variant["sku"],
                        product["title"],
                        label or "Standard",
                        listing["price_minor"],
                    )
                )
                weights[listing["market_code"]].append(per_variant)
        return offers, {code: list(accumulate(w)) for code, w in weights.items()}


def build_catalog(
    rng: random.Random,
    markets: Sequence[Market],
    next_ids: dict[Table, int],
    *,
    seed: int,
    now: datetime,
    password_hash: str,
) -> Catalog:
    rows = Rows(next_ids)
    rows.add(
        User,
        email=DEMO_OPERATOR,
        password_hash=password_hash,
        display_name="Ops Desk",
        role="operator",
        market_code=None,
        is_active=True,
        created_at=now - timedelta(days=800),
    )
    builder = CatalogBuilder(rng, markets, rows, seed, now)
    builder.categories()
    plans = _shop_plans(rng, [m.code for m in markets])
    shop_ids = _add_shops(rows, rng, plans, hash_=password_hash, now=now)
    for shop_id, plan in zip(shop_ids, plans, strict=True):
        for _ in range(plan.products):
            builder.product(shop_id, plan)
    builder.popularity(shop_ids[[p.owner_email for p in plans].index(DEMO_MERCHANT)])
    offers, weights = builder.offers()
    summary = DemoSummary(
        markets=len(markets),
        shops=len(plans),
        brands=sum(p.is_brand for p in plans),
        products=len(builder.listed),
        variants=len(rows.by_table[table_of(Variant)]),
        listings=len(rows.by_table[table_of(Listing)]),
        images=len(builder.images),
    )
    listed: dict[str, list[int]] = defaultdict(list)
    for listing in rows.by_table[table_of(Listing)]:
        listed[listing["market_code"]].append(listing["variant_id"])
    return Catalog(rows, builder.images, offers, weights, listed, summary)
