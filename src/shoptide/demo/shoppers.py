"""Each market's shoppers with their addresses, its stock, and 90 days of checkouts,
orders, payments and refunds, drawn into rows for the market's cell; some lines were led to
by creators (demo/affiliate.py)."""

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from shoptide.accounts.models import Address, User
from shoptide.checkout.models import Checkout
from shoptide.demo import affiliate
from shoptide.demo.catalog import Catalog, Offer
from shoptide.demo.words import CANCEL_REASONS, FALLBACK_LOCALITY, LOCALITIES
from shoptide.demo.world import (
    CHECKOUTS_PER_SHOPPER,
    DEMO_SHOPPER_CHECKOUTS,
    ORDER_DAYS,
    SHOPPERS,
    Row,
    Rows,
    ascii_slug,
    fill,
)
from shoptide.inventory.models import Stock
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.orders.models import Order, OrderLine, OrderStatusChange
from shoptide.payments.gateway import CARD_SUCCEEDS
from shoptide.payments.models import Payment, Refund


def demo_shopper_email(market_code: str) -> str:
    if market_code == "US":
        return "shopper@shoptide.test"
    return f"shopper.{market_code.lower()}@shoptide.test"


def _shopper_email(first: str, last: str, market_code: str, n: int) -> str:
    """Unique across markets too: with one cell configured, all shoppers share a table."""
    if n == 0:
        return demo_shopper_email(market_code)
    return f"{ascii_slug(first, '.')}.{ascii_slug(last, '.')}.{market_code.lower()}{n}@example.com"


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
            "postal_code": fill(postcode, rng),
            "country_code": market.code,
            "phone": fill(place.phone, rng),
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
            (name, ascii_slug(name, "")[:3].upper())
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
