"""The cart, and the checkout's parts that callers build: attempts, purchases, results.

Everything here takes the caller's sessions. Paying is `checkout.flows` (its units of work
are `checkout.steps`): no transaction may stay open across the call to the gateway.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts import service as accounts_service
from shoptide.accounts.models import Address
from shoptide.catalog import service as catalog_service
from shoptide.catalog.service import MAX_LINE_QUANTITY, Sellable
from shoptide.checkout.models import CartLine, Checkout
from shoptide.content import service as content_service
from shoptide.creators import service as creators_service
from shoptide.creators.service import Touch
from shoptide.errors import InvalidInput, NotFound, OutOfStock
from shoptide.inventory import service as inventory_service
from shoptide.inventory.models import SHELF
from shoptide.markets.models import Market
from shoptide.money import Money
from shoptide.orders.models import Order
from shoptide.orders.service import OrderSource, ShippingAddress
from shoptide.payments.models import Payment


class EmptyCart(InvalidInput):
    """Nothing to pay for: the cart is empty (or was just paid for by this very request)."""


@dataclass
class CartItem:
    sellable: Sellable
    quantity: int
    available: int
    source: OrderSource | None = None
    touch: Touch | None = None  # the creator touch stamped when it was added
    recommended_by: str = ""  # that creator's handle

    @property
    def line_total(self) -> Money:
        return self.sellable.price * self.quantity


@dataclass
class Cart:
    market: str
    currency: str
    items: list[CartItem] = field(default_factory=list)

    @property
    def total(self) -> Money:
        return sum((item.line_total for item in self.items), Money.zero(self.currency))

    @property
    def count(self) -> int:
        return sum(item.quantity for item in self.items)


async def _cart_lines(cell: AsyncSession, shopper_id: int) -> list[CartLine]:
    rows = await cell.scalars(
        select(CartLine).where(CartLine.shopper_id == shopper_id).order_by(CartLine.id)
    )
    return list(rows)


async def get_cart(
    cell: AsyncSession, global_: AsyncSession, *, shopper_id: int, market: Market
) -> Cart:
    """The shopper's cart with today's prices; lines no longer sold in the market drop out."""
    lines = await _cart_lines(cell, shopper_id)
    variant_ids = [line.variant_id for line in lines]
    sellables = await catalog_service.sellables(global_, variant_ids, market=market.code)
    stock = await inventory_service.levels(cell, variant_ids, market=market.code)
    recommenders = await creators_service.by_ids(
        global_, [line.creator_id for line in lines if line.creator_id is not None]
    )
    cart = Cart(market=market.code, currency=market.currency)
    for line in lines:
        if line.variant_id in sellables:
            touch = _touch_of(line)
            by = recommenders.get(touch.creator_id) if touch else None
            cart.items.append(
                CartItem(
                    sellables[line.variant_id],
                    line.quantity,
                    stock.get(line.variant_id, 0),
                    _source_of(line),
                    touch,
                    by.handle if by else "",
                )
            )
    return cart


def _source_of(line: CartLine) -> OrderSource | None:
    if not line.source_kind or line.source_id is None or line.source_host_id is None:
        return None
    return OrderSource(line.source_kind, line.source_id, line.source_host_id)


def _touch_of(line: CartLine) -> Touch | None:
    if line.creator_id is None or line.creator_touched_at is None:
        return None
    return Touch(
        line.creator_id, line.creator_source, line.creator_source_id, line.creator_touched_at
    )


def _stamp(line: CartLine, touch: Touch | None) -> None:
    """Attribution is decided at add-to-cart: the touch in force then, or none."""
    line.creator_id = touch.creator_id if touch else None
    line.creator_touched_at = touch.touched_at if touch else None
    line.creator_source = touch.source_kind if touch else ""
    line.creator_source_id = touch.source_id if touch else None


async def _credit_video(
    cell: AsyncSession, global_: AsyncSession, line: CartLine, video_id: int, product_id: int
) -> None:
    """Claimed sources are checked: only a ready video that tags the product counts. A
    creator's video touches the shopper, like the creator's link would."""
    found = await content_service.video_source(cell, video_id=video_id, product_id=product_id)
    if found is not None:
        source = OrderSource("video", *found)
        line.source_kind, line.source_id, line.source_host_id = "video", *found
        await creators_service.touch_from_source(
            cell,
            await creators_service.creator_hosts(global_, [source.host_user_id]),
            shopper_id=line.shopper_id,
            product_id=product_id,
            kind=source.kind,
            source_id=source.id,
            host_user_id=source.host_user_id,
        )


def _check_quantity(quantity: int, *, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if not low <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidInput(f"Quantity must be between {low} and {MAX_LINE_QUANTITY}.")


async def _sellable_by_sku(global_: AsyncSession, sku: str, market: Market) -> Sellable:
    variant = await catalog_service.variant_by_sku(global_, sku)
    sellable = (await catalog_service.sellables(global_, [variant.id], market=market.code)).get(
        variant.id
    )
    if sellable is None:
        raise NotFound(f"SKU {sku!r} is not sold in {market.name}.")
    return sellable


async def set_quantity(
    cell: AsyncSession,
    global_: AsyncSession,
    *,
    shopper_id: int,
    market: Market,
    sku: str,
    quantity: int,
    add: bool = False,
    from_video: int | None = None,
) -> Cart:
    """Set (or with add=True, increase) a line's quantity; 0 removes the line.

    The video the shopper added it from, if that video tags the product, is kept on the line
    and becomes the order's source."""
    _check_quantity(quantity, allow_zero=not add)
    sellable = await _sellable_by_sku(global_, sku, market)
    line = await cell.scalar(
        select(CartLine).where(
            CartLine.shopper_id == shopper_id, CartLine.variant_id == sellable.variant_id
        )
    )
    new_quantity = quantity + (line.quantity if line and add else 0)
    _check_quantity(new_quantity, allow_zero=True)
    available = (
        await inventory_service.levels(cell, [sellable.variant_id], market=market.code)
    ).get(sellable.variant_id, 0)
    if new_quantity > available:
        raise OutOfStock(f"Only {available} of {sellable.title} ({sellable.variant_label}) left.")
    if line is None and new_quantity:
        line = CartLine(shopper_id=shopper_id, variant_id=sellable.variant_id)
        cell.add(line)
    if line is not None and new_quantity:
        line.quantity = new_quantity
        if from_video is not None:
            await _credit_video(cell, global_, line, from_video, sellable.product_id)
        if add:  # adding (again) stamps the touch in force now; a new quantity keeps it
            _stamp(
                line,
                await creators_service.in_force(
                    cell, shopper_id=shopper_id, product_id=sellable.product_id, market=market
                ),
            )
    elif line is not None:
        await cell.delete(line)
    await cell.flush()
    return await get_cart(cell, global_, shopper_id=shopper_id, market=market)


@dataclass
class CheckoutPage:
    """What the checkout form shows: the cart and the shopper's address book."""

    cart: Cart
    addresses: list[Address]


async def checkout_page(
    cell: AsyncSession, global_: AsyncSession, *, shopper_id: int, market: Market
) -> CheckoutPage:
    cart = await get_cart(cell, global_, shopper_id=shopper_id, market=market)
    return CheckoutPage(cart, await accounts_service.list_addresses(cell, user_id=shopper_id))


@dataclass
class CheckoutResult:
    checkout: Checkout
    orders: list[Order]
    payment: Payment | None
    replayed: bool = False

    @property
    def paid(self) -> bool:
        return self.checkout.status == "paid"


@dataclass(frozen=True)
class Purchase:
    """One line to pay for, at its price, from the stock pool that holds its units."""

    sellable: Sellable
    quantity: int
    unit_price: Money
    source: OrderSource | None = None
    pool: str = SHELF
    touch: Touch | None = None  # the creator the line is credited to
    source_creator_id: int | None = None  # the source's host, when a creator hosts it

    @property
    def label(self) -> str:
        return f"{self.sellable.title} ({self.sellable.variant_label})"


# Runs inside the checkout's first transaction, e.g. to claim a bargained price.
OpenHook = Callable[[AsyncSession, Checkout], Awaitable[None]]


@dataclass(frozen=True)
class Attempt:
    """Who pays, where to, and under which idempotency key (compared trimmed).

    The address is a new one, or None with the id of one in the shopper's book. A new one
    goes into the book once the checkout is paid when `save_address` asks for it: the one
    rule for the API (its `save_address` flag), the checkout page and a live room's drawer
    (which always send it)."""

    shopper_id: int
    market: Market
    key: str
    address: ShippingAddress | None
    ttl: timedelta
    save_address: bool = False
    saved_address_id: int | None = None
    fingerprint: str = ""  # of the request (`fingerprint`), kept with the checkout

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.key.strip())
        if self.address is None and self.saved_address_id is None:
            raise InvalidInput("Give a shipping address or the id of a saved one.")

    @property
    def shipping(self) -> ShippingAddress:
        if self.address is None:
            raise ValueError("the saved address is not read yet (with_saved_address)")
        return self.address

    @property
    def address_to_remember(self) -> ShippingAddress | None:
        return self.address if self.save_address and self.saved_address_id is None else None


def fingerprint(attempt: Attempt, card_number: str, purchases: Sequence[Purchase] = ()) -> str:
    """What makes two requests under one idempotency key the same request: where to, which
    card (its last 4 digits only), and the lines bought on the spot (not their price, which
    a deal's end may change between a request and its retry)."""
    request = {
        "market": attempt.market.code,
        "address": asdict(attempt.address) if attempt.address is not None else None,
        "saved_address_id": attempt.saved_address_id,
        "save_address": attempt.save_address,
        "card_last4": card_number[-4:],
        "lines": [[p.sellable.variant_id, p.quantity] for p in purchases],
    }
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


async def purchase(
    global_: AsyncSession,
    *,
    market: Market,
    sku: str,
    quantity: int,
    unit_price: Money | None = None,
    source: OrderSource | None = None,
    pool: str = SHELF,
) -> Purchase:
    """A line bought on the spot; unit_price is a deal's or a bargain's, else the shelf's.
    Whether a creator hosts the source is read here, on the caller's global session: the
    checkout's own units of work hold one cell connection and nothing else."""
    _check_quantity(quantity)
    sellable = await _sellable_by_sku(global_, sku, market)
    hosts = await creators_service.creator_hosts(global_, [source.host_user_id] if source else [])
    creator_id = hosts.get(source.host_user_id) if source else None
    price = unit_price or sellable.price
    return Purchase(sellable, quantity, price, source, pool, source_creator_id=creator_id)
