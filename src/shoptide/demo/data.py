"""Deterministic demo data: markets, shops, 1,000+ products with drawn pictures, prices and
stock per market, thousands of shoppers and 90 days of orders, and the affiliate program
(creators, plans, showcases and the commissions of the lines they led to: demo/affiliate.py).

Every choice comes from a random.Random seeded per purpose ("7:catalog", "7:market:ID"),
so the same seed gives the same shops, titles, prices and orders whatever the cell layout;
only timestamps move with `now`. Rows go in as bulk Core inserts with ids we assign
ourselves (after reading max(id)), which keeps a full load to seconds on SQLite.
"""

import asyncio
import random
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from itertools import accumulate
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

import shoptide.models  # noqa: F401  (every table known to Base.metadata.sorted_tables)
from shoptide.accounts.models import Address, User
from shoptide.accounts.service import Passwords
from shoptide.catalog.models import Category, Listing, Product, ProductImage, Variant
from shoptide.checkout.models import Checkout
from shoptide.db import Base, Databases, utcnow
from shoptide.demo import affiliate, images, live
from shoptide.errors import Conflict
from shoptide.inventory.models import Stock
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.money import Money
from shoptide.orders.models import Order, OrderLine, OrderStatusChange
from shoptide.payments.gateway import CARD_SUCCEEDS
from shoptide.payments.models import Payment, Refund
from shoptide.settings import GLOBAL_CELL, Settings
from shoptide.shops.models import Shop, ShopMember

DEMO_PASSWORD = "shoptide-demo"
DEMO_MERCHANT = "merchant@shoptide.test"
DEMO_STAFF = "staff@shoptide.test"
DEMO_OPERATOR = "operator@shoptide.test"
DEMO_SHOP = "Tidewater Goods"
ORDER_DAYS = 90
SHOPPERS = 3000
CHECKOUTS_PER_SHOPPER = 1.8
DEMO_SHOPPER_CHECKOUTS = 6
CHUNK = 5000

Row = dict[str, Any]


# ---------------------------------------------------------------- vocabulary
# Word lists and price tables read best as tables, so the formatter leaves them alone.
# fmt: off

@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    shape: str  # images.SHAPES key
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    usd: tuple[int, int]  # whole-dollar price range
    sizes: tuple[str, ...] = ()
    size_step: Decimal = Decimal(0)  # price rise per size step (bigger bottle costs more)
    colours: bool = True
    features: tuple[str, ...] = ()


_APPAREL = ("XS", "S", "M", "L", "XL", "XXL")
CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("womens-fashion", "Women's Fashion", "dress",
                 ("Midi Dress", "Wrap Dress", "Linen Blouse", "Knit Cardigan", "Pleated Skirt",
                  "Trench Coat", "Ribbed Top", "Maxi Dress"),
                 ("Relaxed", "Everyday", "Flowy", "Tailored", "Cropped", "Vintage", "Breezy",
                  "Classic"), (14, 89), _APPAREL[:5],
                 features=("Cut from a soft, breathable fabric that moves with you.",
                           "Dress it up or down: it works from desk to dinner.",
                           "Machine washable at 30°C.")),
    CategorySpec("mens-fashion", "Men's Fashion", "shirt",
                 ("Oxford Shirt", "Crew Tee", "Pullover Hoodie", "Chino Trousers", "Polo Shirt",
                  "Bomber Jacket", "Overshirt", "Henley"),
                 ("Heavyweight", "Slim-fit", "Organic Cotton", "Washed", "Essential", "Oversized",
                  "Garment-dyed", "Classic"), (12, 79), _APPAREL[1:],
                 features=("Pre-shrunk so the fit you buy is the fit you keep.",
                           "Reinforced seams for years of wear.",
                           "Made from long-staple cotton.")),
    CategorySpec("shoes", "Shoes", "shoe",
                 ("Running Sneakers", "Canvas Low-tops", "Leather Loafers", "Chelsea Boots",
                  "Slides", "Trail Runners", "Court Sneakers"),
                 ("Lightweight", "All-day", "Cushioned", "Waterproof", "Minimal", "Retro"),
                 (19, 129), ("38", "39", "40", "41", "42", "43", "44", "45"),
                 features=("A cushioned footbed for long days on your feet.",
                           "Grippy rubber outsole.", "True to size; half sizes go up.")),
    CategorySpec("bags", "Bags & Accessories", "bag",
                 ("Tote Bag", "Crossbody Bag", "Laptop Backpack", "Card Wallet", "Belt Bag",
                  "Weekender Bag"),
                 ("Vegan Leather", "Canvas", "Everyday", "Compact", "Water-resistant", "Woven"),
                 (9, 119),
                 features=("Fits a 14-inch laptop, a water bottle and then some.",
                           "Hidden inner pocket for your phone and cards.",
                           "Adjustable strap.")),
    CategorySpec("beauty", "Beauty", "bottle",
                 ("Vitamin C Serum", "Daily Moisturiser", "Lip Tint", "Sunscreen SPF 50",
                  "Cleansing Oil", "Hydrating Toner", "Niacinamide Serum", "Sheet Mask Set"),
                 ("Glow", "Barrier-repair", "Gentle", "Brightening", "Fragrance-free", "Dewy"),
                 (6, 48), ("30 ml", "50 ml", "100 ml"), Decimal("0.6"), colours=False,
                 features=("Dermatologist tested, suitable for sensitive skin.",
                           "Lightweight texture that sinks in fast.",
                           "Cruelty-free and vegan.")),
    CategorySpec("electronics", "Audio & Electronics", "headphones",
                 ("Wireless Earbuds", "Over-ear Headphones", "Bluetooth Speaker", "Smartwatch",
                  "Power Bank 20000 mAh", "Mini Projector"),
                 ("Noise-cancelling", "Pro", "Compact", "Long-battery", "Waterproof", "Studio"),
                 (19, 249),
                 features=("Up to 30 hours of battery on one charge.",
                           "Pairs in seconds over Bluetooth 5.3.",
                           "Two-year warranty.")),
    CategorySpec("phone-accessories", "Phone Accessories", "phone",
                 ("Phone Case", "Screen Protector", "USB-C Cable", "65W Fast Charger",
                  "Magnetic Car Mount", "Phone Grip"),
                 ("Shockproof", "Slim", "Braided", "Clear", "MagSafe-ready", "Matte"),
                 (4, 39),
                 features=("Military-grade drop protection.",
                           "Precise cut-outs for every port and button.",
                           "Works with most recent phones.")),
    CategorySpec("home-living", "Home & Living", "lamp",
                 ("Table Lamp", "Throw Blanket", "Scented Candle", "Cushion Cover", "Wall Clock",
                  "Linen Curtains", "Plant Pot"),
                 ("Nordic", "Rattan", "Cosy", "Minimal", "Handmade", "Mid-century"), (8, 99),
                 features=("Adds warmth to any corner of the room.",
                           "Designed in small batches.", "Easy to clean.")),
    CategorySpec("kitchen", "Kitchen & Dining", "mug",
                 ("Ceramic Mug", "Pour-over Kettle", "Chef's Knife", "Bento Box",
                  "Insulated Water Bottle", "Cast-iron Skillet", "Coffee Grinder"),
                 ("Stoneware", "Stainless", "Hand-glazed", "Everyday", "Barista", "Double-wall"),
                 (7, 89),
                 features=("Dishwasher safe.", "Keeps drinks hot for 12 hours.",
                           "Balanced and comfortable in the hand.")),
    CategorySpec("sports", "Sports & Outdoors", "ball",
                 ("Yoga Mat", "Training Football", "Resistance Bands", "Adjustable Dumbbell",
                  "Camping Lantern", "Jump Rope", "Cycling Jersey"),
                 ("Pro", "Non-slip", "Ultralight", "All-weather", "Studio", "Trail"), (8, 119),
                 features=("Built for daily training.", "Packs small for travel.",
                           "Tested by coaches.")),
    CategorySpec("toys", "Toys & Kids", "blocks",
                 ("Building Blocks", "Plush Bear", "Wooden Train Set", "500-piece Puzzle",
                  "Art Kit", "Stacking Rings"),
                 ("Rainbow", "Classic", "Montessori", "Deluxe", "Mini", "Eco"), (6, 69),
                 features=("Non-toxic, child-safe paints.", "For ages 3 and up.",
                           "Encourages open-ended play.")),
    CategorySpec("health", "Health & Wellness", "jar",
                 ("Vitamin C Gummies", "Whey Protein", "Herbal Tea Blend", "Collagen Powder",
                  "Magnesium Capsules", "Electrolyte Mix"),
                 ("Daily", "Plant-based", "Sugar-free", "Organic", "Advanced", "Calm"), (7, 59),
                 ("250 g", "500 g", "1 kg"), Decimal("0.7"), colours=False,
                 features=("Third-party tested for purity.", "No artificial colours.",
                           "One scoop a day.")),
)
CATEGORY_BY_SLUG = {spec.slug: spec for spec in CATEGORIES}
CLOSERS = ("Ships from a warehouse near you.", "Free returns within 15 days.",
           "Loved by thousands of shoppers on Shoptide.", "Packed in recycled materials.")
TITLE_SUFFIXES = ("2-Pack", "Limited Edition", "Gift Set", "New Season")

PALETTE: tuple[tuple[str, str], ...] = (
    ("Black", "#23262b"), ("White", "#eeeeea"), ("Navy", "#1d3557"), ("Sand", "#cdb38f"),
    ("Olive", "#6b705c"), ("Terracotta", "#c8553d"), ("Sage", "#8fa67e"), ("Blush", "#e39a9a"),
    ("Sky Blue", "#5fa8d3"), ("Mustard", "#d99a1e"), ("Charcoal", "#474747"),
    ("Forest", "#2d6a4f"), ("Lilac", "#a88bc7"), ("Coral", "#f07167"),
)
NEUTRAL_TINTS = ("#7aa6c2", "#d98f6f", "#8fb996", "#c9a0dc", "#e0b04f", "#6c8ebf")

# name, home market, categories, products
BRANDS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("Northwind Apparel", "US", ("womens-fashion", "mens-fashion"), 70),
    ("Lumen Beauty", "FR", ("beauty",), 60),
    ("Voltline", "DE", ("electronics", "phone-accessories"), 70),
    ("Hearth & Oak", "GB", ("home-living", "kitchen"), 60),
    ("Peakform Sports", "US", ("sports", "shoes"), 60),
    ("Sari Kulit", "ID", ("bags", "shoes"), 50),
    ("Little Otter", "MY", ("toys",), 40),
)
DEMO_SHOP_SPEC = (DEMO_SHOP, "US", ("home-living", "kitchen", "bags"), 40)
MERCHANTS = 28
MERCHANT_FIRST = ("Golden", "Sunny", "Urban", "Little", "Blue", "Mango", "Paper", "Coral",
                  "Velvet", "Pepper", "Maple", "Lotus", "Copper", "Jade", "Cloud", "Harbor")
MERCHANT_SECOND = ("Lane", "Studio", "House", "Corner", "Market", "Supply", "Goods", "Co.",
                   "Collective", "Atelier", "Store", "Bazaar")

# Minor-unit price levels: usd * rate, rounded up to `step`, less `charm` (12.99, 199.000).
PRICE_LEVELS: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    "USD": (Decimal(1), Decimal(1), Decimal("0.01")),
    "GBP": (Decimal("0.8"), Decimal(1), Decimal("0.01")),
    "EUR": (Decimal("0.93"), Decimal(1), Decimal("0.01")),
    "IDR": (Decimal(15000), Decimal(10000), Decimal(1000)),
    "VND": (Decimal(23000), Decimal(10000), Decimal(1000)),
    "THB": (Decimal(34), Decimal(10), Decimal(1)),
    "MYR": (Decimal("4.5"), Decimal(1), Decimal("0.1")),
    "SGD": (Decimal("1.35"), Decimal(1), Decimal("0.1")),
    "PHP": (Decimal(56), Decimal(10), Decimal(1)),
    "JPY": (Decimal(150), Decimal(100), Decimal(10)),
}


@dataclass(frozen=True)
class Locality:
    """How people, streets and parcels look in one market."""

    share: float  # of all shoppers
    first: tuple[str, ...]
    last: tuple[str, ...]
    street: str  # "{n}" house number, "{s}" street name
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # city, postal code pattern (# digit, @ letter)
    phone: str
    carriers: tuple[str, ...]


_EN_FIRST = ("Olivia", "Liam", "Emma", "Noah", "Ava", "James", "Mia", "Lucas", "Chloe", "Ethan",
             "Grace", "Henry", "Zoe", "Jack", "Lily", "Owen")
_EN_LAST = ("Smith", "Johnson", "Brown", "Taylor", "Walker", "Clark", "Hall", "Young", "King",
            "Wright", "Green", "Baker", "Turner", "Hill")
LOCALITIES: dict[str, Locality] = {
    "US": Locality(0.22, _EN_FIRST, _EN_LAST, "{n} {s} St",
                   ("Maple", "Oak", "Cedar", "Pine", "Elm", "Washington", "Lake", "Sunset"),
                   (("New York", "100##"), ("Austin", "787##"), ("Seattle", "981##"),
                    ("Chicago", "606##"), ("Denver", "802##"), ("Atlanta", "303##")),
                   "+1 555 ### ####", ("UPS", "USPS", "FedEx")),
    "GB": Locality(0.10, _EN_FIRST, _EN_LAST, "{n} {s} Road",
                   ("Church", "Victoria", "Station", "Park", "Mill", "Queen's"),
                   (("London", "E# #@@"), ("Manchester", "M# #@@"), ("Bristol", "BS# #@@"),
                    ("Leeds", "LS# #@@"), ("Glasgow", "G# #@@")),
                   "+44 7700 ######", ("Royal Mail", "DPD", "Evri")),
    "DE": Locality(0.10, ("Lukas", "Anna", "Leon", "Mia", "Felix", "Lena", "Jonas", "Marie",
                          "Paul", "Sophie", "Max", "Hannah"),
                   ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker",
                    "Hoffmann", "Koch", "Richter"), "{s} {n}",
                   ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Bergstraße"),
                   (("Berlin", "10###"), ("Hamburg", "20###"), ("München", "80###"),
                    ("Köln", "50###"), ("Leipzig", "04###")),
                   "+49 151 #######", ("DHL", "Hermes", "DPD")),
    "FR": Locality(0.08, ("Léa", "Hugo", "Chloé", "Louis", "Manon", "Gabriel", "Camille",
                          "Arthur", "Inès", "Jules"),
                   ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
                    "Durand", "Leroy", "Moreau"), "{n} rue {s}",
                   ("de la Paix", "Victor Hugo", "des Lilas", "du Moulin", "Pasteur"),
                   (("Paris", "750##"), ("Lyon", "6900#"), ("Marseille", "130##"),
                    ("Bordeaux", "330##"), ("Lille", "590##")),
                   "+33 6 ## ## ## ##", ("Colissimo", "Chronopost", "Mondial Relay")),
    "ID": Locality(0.20, ("Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri", "Andi", "Ayu",
                          "Fajar", "Indah", "Wahyu", "Rina"),
                   ("Santoso", "Wijaya", "Saputra", "Lestari", "Pratama", "Hidayat", "Nugroho",
                    "Kusuma", "Setiawan", "Rahayu"), "Jl. {s} No. {n}",
                   ("Sudirman", "Merdeka", "Diponegoro", "Gatot Subroto", "Melati"),
                   (("Jakarta", "1####"), ("Surabaya", "60###"), ("Bandung", "40###"),
                    ("Medan", "20###"), ("Yogyakarta", "55###")),
                   "+62 812 #### ####", ("JNE", "J&T Express", "SiCepat")),
    "TH": Locality(0.10, ("Somchai", "Nattaya", "Anan", "Ploy", "Kittisak", "Siriporn",
                          "Thanawat", "Kanya"),
                   ("Srisuk", "Chaiyaporn", "Wongsawat", "Boonmee", "Rattanakul", "Saetang"),
                   "{n} Soi {s}", ("Sukhumvit 31", "Ari", "Thonglor 10", "Ratchada 7"),
                   (("Bangkok", "10###"), ("Chiang Mai", "50###"), ("Phuket", "83###"),
                    ("Khon Kaen", "40###")),
                   "+66 81 ### ####", ("Kerry Express", "Thailand Post", "Flash Express")),
    "VN": Locality(0.10, ("An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Minh", "Ngọc",
                          "Trang"),
                   ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"),
                   "{n} Đường {s}", ("Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Trần Hưng Đạo"),
                   (("Hồ Chí Minh", "700###"), ("Hà Nội", "100###"), ("Đà Nẵng", "550###"),
                    ("Hải Phòng", "180###")),
                   "+84 90 ### ####", ("GHN", "Viettel Post", "J&T Express")),
    "MY": Locality(0.10, ("Ahmad", "Nur", "Wei Ling", "Siva", "Aisyah", "Jun Hao", "Priya",
                          "Hafiz", "Mei Ying", "Arjun"),
                   ("Abdullah", "Tan", "Lim", "Rahman", "Wong", "Kumar", "Ismail", "Lee"),
                   "{n}, Jalan {s}", ("Ampang", "Bukit Bintang", "Tun Razak", "Klang Lama"),
                   (("Kuala Lumpur", "5####"), ("Petaling Jaya", "46###"), ("Penang", "10###"),
                    ("Johor Bahru", "80###")),
                   "+60 12 ### ####", ("Pos Malaysia", "J&T Express", "Ninja Van")),
}
FALLBACK_LOCALITY = LOCALITIES["US"]
CANCEL_REASONS = ("Out of stock at the warehouse", "Shopper asked to cancel",
                  "We can't deliver to this address")

# fmt: on


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    cell: str
    note: str


@dataclass
class DemoSummary:
    markets: int = 0
    shops: int = 0
    brands: int = 0
    products: int = 0
    variants: int = 0
    listings: int = 0
    images: int = 0
    shoppers: int = 0
    orders: int = 0
    live_rooms: int = 0
    videos: int = 0
    creators: int = 0
    commissions: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


# ---------------------------------------------------------------- building blocks


def _table(model: type[Base]) -> Table:
    """The model's Table (declarative types `__table__` as any FromClause)."""
    return cast(Table, model.__table__)


class Rows:
    """Rows to insert per table, with the ids we hand out ourselves."""

    def __init__(self, next_ids: dict[Table, int]) -> None:
        self._next = dict(next_ids)
        self.by_table: dict[Table, list[Row]] = defaultdict(list)

    def add(self, model: type[Base], **values: Any) -> Row:
        """Queue one row; returns it, id included (later tweaks still reach the insert)."""
        table = _table(model)
        values["id"] = self._next[table]
        self._next[table] += 1
        self.by_table[table].append(values)
        return values


def _fill(pattern: str, rng: random.Random) -> str:
    """'10###' -> '10482'; '@' draws a capital letter."""
    return "".join(
        str(rng.randint(0, 9)) if ch == "#" else chr(rng.randint(65, 90)) if ch == "@" else ch
        for ch in pattern
    )


def _ascii_slug(value: str, sep: str = "-") -> str:
    plain = unicodedata.normalize("NFKD", value.replace("đ", "d").replace("Đ", "D"))
    plain = plain.encode("ascii", "ignore").decode().lower()
    return sep.join("".join(ch if ch.isalnum() else " " for ch in plain).split())


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


def _id_seed(*parts: int) -> int:
    """A stable seed from ids (hash() of a tuple would do, but only within one process)."""
    seed = 17
    for part in parts:
        seed = seed * 1_000_003 + part
    return seed


# ---------------------------------------------------------------- catalog (global cell)


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
        slug = _ascii_slug(plan.name)
        shop_id = rows.add(
            Shop,
            name=plan.name,
            slug=slug,
            home_market=plan.home_market,
            is_brand=plan.is_brand,
            created_at=created,
        )["id"]
        owner_name = f"{rng.choice(_EN_FIRST)} {rng.choice(_EN_LAST)}"
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
                    _id_seed(self.seed, product_id, n),
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
        variants=len(rows.by_table[_table(Variant)]),
        listings=len(rows.by_table[_table(Listing)]),
        images=len(builder.images),
    )
    listed: dict[str, list[int]] = defaultdict(list)
    for listing in rows.by_table[_table(Listing)]:
        listed[listing["market_code"]].append(listing["variant_id"])
    return Catalog(rows, builder.images, offers, weights, listed, summary)


# ---------------------------------------------------------------- shoppers and orders (cells)


def demo_shopper_email(market_code: str) -> str:
    if market_code == "US":
        return "shopper@shoptide.test"
    return f"shopper.{market_code.lower()}@shoptide.test"


def _shopper_email(first: str, last: str, market_code: str, n: int) -> str:
    """Unique across markets too: with one cell configured, all shoppers share a table."""
    if n == 0:
        return demo_shopper_email(market_code)
    return (
        f"{_ascii_slug(first, '.')}.{_ascii_slug(last, '.')}.{market_code.lower()}{n}@example.com"
    )


# Address column -> the order's copy of it
SHIP_FIELDS = {
    "full_name": "ship_name",
    "line1": "ship_line1",
    "line2": "ship_line2",
    "city": "ship_city",
    "postal_code": "ship_postal_code",
    "country_code": "ship_country",
    "phone": "ship_phone",
}


@dataclass(frozen=True, slots=True)
class Shopper:
    id: int
    address: Row  # ship_* fields of an order


def _add_shoppers(
    rows: Rows, rng: random.Random, market: Market, count: int, *, hash_: str, now: datetime
) -> list[Shopper]:
    place = LOCALITIES.get(market.code, FALLBACK_LOCALITY)
    shoppers = []
    for n in range(count):
        first, last = rng.choice(place.first), rng.choice(place.last)
        name = f"{last} {first}" if market.code == "VN" else f"{first} {last}"
        created = now - timedelta(days=rng.uniform(ORDER_DAYS, 720))
        user_id = rows.add(
            User,
            email=_shopper_email(first, last, market.code, n),
            password_hash=hash_,
            display_name=name,
            role="shopper",
            market_code=market.code,
            is_active=True,
            created_at=created,
        )["id"]
        city, postcode = rng.choice(place.cities)
        address = {
            "full_name": name,
            "line1": place.street.format(n=rng.randint(1, 250), s=rng.choice(place.streets)),
            "line2": "",
            "city": city,
            "postal_code": _fill(postcode, rng),
            "country_code": market.code,
            "phone": _fill(place.phone, rng),
        }
        rows.add(Address, user_id=user_id, created_at=created, **address)
        shoppers.append(Shopper(user_id, {SHIP_FIELDS[k]: v for k, v in address.items()}))
    return shoppers


def _add_stock(rows: Rows, rng: random.Random, market: Market, variant_ids: list[int]) -> None:
    """Most variants well stocked, a few nearly gone, some sold out."""
    for variant_id in variant_ids:
        available = 0 if rng.random() < 0.03 else min(500, int(rng.paretovariate(1.3) * 12))
        rows.add(Stock, variant_id=variant_id, market_code=market.code, available=available)


Steps = list[tuple[str, str, datetime]]  # status, note, when


def _timeline(rng: random.Random, placed: datetime, paid: datetime, shipping: str) -> Steps:
    """Every status the order will go through, with when; the caller cuts it at now."""
    steps = [
        ("pending_payment", "Order placed", placed),
        ("paid", f"Paid by card •••• {CARD_SUCCEEDS[-4:]}", paid),
    ]
    confirmed = paid + timedelta(hours=rng.uniform(0.3, 18))
    if rng.random() < 0.03:
        if rng.random() < 0.5:
            steps.append(("confirmed", "Confirmed by the shop", confirmed))
        steps.append(
            (
                "cancelled",
                rng.choice(CANCEL_REASONS),
                confirmed + timedelta(hours=rng.uniform(1, 24)),
            )
        )
        return steps
    shipped = confirmed + timedelta(hours=rng.uniform(4, 48))
    return [
        *steps,
        ("confirmed", "Confirmed by the shop", confirmed),
        ("shipped", shipping, shipped),
        ("delivered", "Delivered", shipped + timedelta(days=rng.uniform(1, 5))),
    ]


class OrderBuilder:
    """Checkouts, orders, payments and refunds of one market."""

    def __init__(
        self,
        rows: Rows,
        rng: random.Random,
        market: Market,
        offers: list[Offer],
        weights: list[float],
        now: datetime,
        attribution: affiliate.Attribution,
    ) -> None:
        self.rows, self.rng, self.market, self.now = rows, rng, market, now
        self.offers, self.weights = offers, weights
        self.attribution = attribution
        # carrier, tracking number prefix ("J&T Express" -> "JTE")
        self.carriers = [
            (name, _ascii_slug(name, "")[:3].upper())
            for name in LOCALITIES.get(market.code, FALLBACK_LOCALITY).carriers
        ]
        self.orders = 0

    def checkout(self, shopper: Shopper, placed: datetime) -> None:
        rng, market = self.rng, self.market
        picked = {
            o.variant_id: o
            for o in rng.choices(
                self.offers, cum_weights=self.weights, k=rng.choice((1, 1, 1, 2, 2, 3))
            )
        }
        by_shop: dict[int, list[tuple[Offer, int]]] = defaultdict(list)
        for offer in picked.values():
            by_shop[offer.shop_id].append((offer, rng.choice((1, 1, 1, 1, 2, 3))))
        total = sum(o.price_minor * q for lines in by_shop.values() for o, q in lines)
        paid = placed + timedelta(seconds=rng.randint(20, 300))
        checkout_id = self.rows.add(
            Checkout,
            shopper_id=shopper.id,
            idempotency_key=f"demo-{rng.getrandbits(64):016x}",
            market_code=market.code,
            currency=market.currency,
            total_minor=total,
            status="paid",
            failure_reason="",
            created_at=placed,
        )["id"]
        for shop_id, lines in by_shop.items():
            self._order(checkout_id, shopper, shop_id, lines, placed, paid)
        self.rows.add(
            Payment,
            checkout_id=checkout_id,
            amount_minor=total,
            currency=market.currency,
            status="succeeded",
            gateway_ref=f"ch_{rng.getrandbits(64):016x}",
            card_last4=CARD_SUCCEEDS[-4:],
            attempts=1,
            decline_reason="",
            created_at=paid,
        )

    def _order(
        self,
        checkout_id: int,
        shopper: Shopper,
        shop_id: int,
        lines: list[tuple[Offer, int]],
        placed: datetime,
        paid: datetime,
    ) -> None:
        rng, market = self.rng, self.market
        carrier, prefix = rng.choice(self.carriers)
        tracking = f"{prefix}{rng.randint(10**9, 10**10 - 1)}"
        steps = [
            step
            for step in _timeline(rng, placed, paid, f"{carrier} {tracking}")
            if step[2] <= self.now
        ]
        shipped = any(status == "shipped" for status, _, _ in steps)
        delivered = next((at for status, _, at in steps if status == "delivered"), None)
        subtotal = sum(o.price_minor * q for o, q in lines)
        order_id = self.rows.add(
            Order,
            checkout_id=checkout_id,
            shopper_id=shopper.id,
            shop_id=shop_id,
            market_code=market.code,
            currency=market.currency,
            subtotal_minor=subtotal,
            tax_minor=markets_service.included_tax(subtotal, market.tax_rate_bp),
            total_minor=subtotal,
            status=steps[-1][0],
            carrier=carrier if shipped else "",
            tracking_number=tracking if shipped else "",
            created_at=placed,
            delivered_at=delivered,
            **shopper.address,
        )["id"]
        for offer, quantity in lines:
            self.rows.add(
                OrderLine,
                order_id=order_id,
                product_id=offer.product_id,
                variant_id=offer.variant_id,
                sku=offer.sku,
                title=offer.title,
                variant_label=offer.label,
                unit_price_minor=offer.price_minor,
                quantity=quantity,
                line_total_minor=offer.price_minor * quantity,
                **self.attribution.stamp(offer.product_id, placed),
            )
        previous = None
        for status, note, at in steps:
            self.rows.add(
                OrderStatusChange,
                order_id=order_id,
                from_status=previous,
                to_status=status,
                note=note,
                at=at,
            )
            previous = status
        if previous == "cancelled":
            self.rows.add(
                Refund,
                order_id=order_id,
                reference=f"order:{order_id}",
                amount_minor=subtotal,
                currency=market.currency,
                status="succeeded",
                gateway_ref=f"re_{rng.getrandbits(64):016x}",
                created_at=steps[-1][2],
            )
        self.orders += 1


def build_market(
    rows: Rows,
    rng: random.Random,
    market: Market,
    catalog: Catalog,
    shopper_count: int,
    *,
    now: datetime,
    password_hash: str,
    attribution: affiliate.Attribution,
) -> tuple[int, int]:
    """Shoppers, stock and 90 days of orders of one market, some of their lines led to by
    creators; returns (shoppers, orders)."""
    offers = catalog.offers.get(market.code, [])
    shoppers = _add_shoppers(rows, rng, market, shopper_count, hash_=password_hash, now=now)
    _add_stock(rows, rng, market, catalog.listed.get(market.code, []))
    if not offers:
        return len(shoppers), 0
    # a few keen buyers, many occasional ones; the demo shopper always has some history
    keen = list(accumulate(rng.paretovariate(1.4) for _ in shoppers))
    buyers = [shoppers[0]] * DEMO_SHOPPER_CHECKOUTS + rng.choices(
        shoppers, cum_weights=keen, k=int(len(shoppers) * CHECKOUTS_PER_SHOPPER)
    )
    rng.shuffle(buyers)
    # ages skew recent (the shop is growing); at least 10 minutes so payment is done
    ages = sorted(
        (timedelta(days=ORDER_DAYS * rng.random() ** 1.3, minutes=10) for _ in buyers), reverse=True
    )
    orders = OrderBuilder(rows, rng, market, offers, catalog.weights[market.code], now, attribution)
    for buyer, age in zip(buyers, ages, strict=True):  # oldest first: ids follow time
        orders.checkout(buyer, now - age)
    return len(shoppers), orders.orders


def shopper_counts(markets: Sequence[Market], total: int = SHOPPERS) -> dict[str, int]:
    shares = {m.code: LOCALITIES[m.code].share if m.code in LOCALITIES else 0.05 for m in markets}
    scale = total / sum(shares.values())
    return {code: max(1, round(share * scale)) for code, share in shares.items()}


# ---------------------------------------------------------------- database

GLOBAL_MODELS: tuple[type[Base], ...] = (
    User,
    Shop,
    ShopMember,
    Category,
    Product,
    Variant,
    ProductImage,
    Listing,
)
CELL_MODELS: tuple[type[Base], ...] = (
    User,
    Address,
    Stock,
    Checkout,
    Order,
    OrderLine,
    OrderStatusChange,
    Payment,
    Refund,
)


async def _next_ids(session: AsyncSession, models: Sequence[type[Base]]) -> dict[Table, int]:
    tables = [_table(model) for model in models]
    return {
        t: (await session.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0) + 1
        for t in tables
    }


async def _insert(session: AsyncSession, rows: Rows) -> None:
    """Bulk inserts in dependency order; PostgreSQL sequences are moved past our ids."""
    dialect = (await session.connection()).dialect.name
    for table in Base.metadata.sorted_tables:
        batch = rows.by_table.get(table)
        if not batch:
            continue
        for start in range(0, len(batch), CHUNK):
            await session.execute(insert(table), batch[start : start + CHUNK])
        if dialect == "postgresql":
            await session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
            )


def _logins(
    markets: Sequence[Market], settings: Settings, program: affiliate.Program
) -> list[DemoLogin]:
    logins = [
        DemoLogin(DEMO_OPERATOR, DEMO_PASSWORD, "operator", GLOBAL_CELL, "runs the markets"),
        DemoLogin(DEMO_MERCHANT, DEMO_PASSWORD, "merchant", GLOBAL_CELL, f"owner of {DEMO_SHOP}"),
        DemoLogin(DEMO_STAFF, DEMO_PASSWORD, "merchant", GLOBAL_CELL, f"staff of {DEMO_SHOP}"),
    ]
    if program.demo_creator_id:
        note = f"creator @{affiliate.DEMO_HANDLE}, invited by {DEMO_SHOP}"
        logins.append(
            DemoLogin(affiliate.DEMO_CREATOR, DEMO_PASSWORD, "creator", GLOBAL_CELL, note)
        )
    logins += [
        DemoLogin(
            demo_shopper_email(m.code),
            DEMO_PASSWORD,
            "shopper",
            settings.cell_of_market(m.code),
            f"shopper in {m.name}",
        )
        for m in markets
    ]
    return logins


async def load_demo(
    databases: Databases,
    settings: Settings,
    *,
    seed: int = 7,
    passwords: Passwords,
    now: datetime | None = None,
    with_videos: bool = True,
) -> DemoSummary:
    """Fill freshly migrated, empty databases with the demo world; refuses a second load."""
    now = now or utcnow()
    # hashed once and shared by every demo account: argon2 per account would take minutes
    password_hash = await asyncio.to_thread(passwords.hash, DEMO_PASSWORD)
    async with databases.session(GLOBAL_CELL) as session:
        await markets_service.ensure_defaults(session)
        markets = list(await markets_service.list(session))
        if await session.scalar(select(func.count()).select_from(Product)):
            raise Conflict("The demo data is loaded already; start from an empty data folder.")
        next_ids = await _next_ids(session, GLOBAL_MODELS)
    catalog = await asyncio.to_thread(
        build_catalog,
        random.Random(f"{seed}:catalog"),
        markets,
        next_ids,
        seed=seed,
        now=now,
        password_hash=password_hash,
    )
    await asyncio.to_thread(images.write_all, settings.media_dir, catalog.images)
    async with databases.session(GLOBAL_CELL) as session:
        await _insert(session, catalog.rows)
    program = await affiliate.create_program(
        databases,
        market_codes=[m.code for m in markets],
        demo_shop=DEMO_SHOP,
        seed=seed,
        password_hash=password_hash,
        now=now,
    )
    summary = catalog.summary
    summary.creators = program.creators
    counts = shopper_counts(markets)
    for cell in databases.each_cell():
        cell_markets = [
            m for m in markets if databases.home_cell(settings.cell_of_market(m.code)) == cell
        ]
        if not cell_markets:
            continue
        async with databases.session(cell) as session:
            rows = Rows(await _next_ids(session, CELL_MODELS))
            for market in cell_markets:
                shoppers, orders = build_market(
                    rows,
                    random.Random(f"{seed}:market:{market.code}"),
                    market,
                    catalog,
                    counts[market.code],
                    now=now,
                    password_hash=password_hash,
                    attribution=program.attribution(market.code),
                )
                summary.shoppers += shoppers
                summary.orders += orders
            await _insert(session, rows)
    summary.live_rooms = await live.schedule_rooms(
        databases, settings, demo_shop=DEMO_SHOP, seed=seed, now=now
    )
    # booking is Python's work and the videos are ffmpeg's: side by side, the load ends sooner
    async with asyncio.TaskGroup() as group:
        books = group.create_task(affiliate.book_orders(databases, now=now))
        if with_videos:
            summary.videos = await live.upload_videos(databases, demo_shop=DEMO_SHOP, seed=seed)
    summary.commissions = books.result()
    summary.logins = _logins(markets, settings, program)
    return summary
