"""The demo's vocabulary: categories and what their products are called, colours, brands
and merchants' names, price points per currency, and how people, streets and parcels look
in each market (localities.toml). Every choice drawn from these is seeded (demo/data.py)."""

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from shoptide.demo.world import DEMO_SHOP

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


CANCEL_REASONS = ("Out of stock at the warehouse", "Shopper asked to cancel",
                  "We can't deliver to this address")

# fmt: on


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


def _localities() -> dict[str, Locality]:
    table = tomllib.loads(Path(__file__).with_name("localities.toml").read_text(encoding="utf-8"))
    return {
        code: Locality(
            share=float(place["share"]),
            first=tuple(place["first"]),
            last=tuple(place["last"]),
            street=place["street"],
            streets=tuple(place["streets"]),
            cities=tuple((city, postcode) for city, postcode in place["cities"]),
            phone=place["phone"],
            carriers=tuple(place["carriers"]),
        )
        for code, place in table.items()
    }


LOCALITIES = _localities()
FALLBACK_LOCALITY = LOCALITIES["US"]
