"""Cart and checkout.

Cart functions take sessions like every service. Completing a checkout talks to the
payment gateway, and no transaction may stay open across that call, so `place` runs its
own short units of work: reserve + create orders, then charge, then settle.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide import events
from shoptide.affiliate import attribution, creators
from shoptide.affiliate.touches import Touch
from shoptide.catalog import service as catalog_service
from shoptide.catalog.service import Sellable
from shoptide.checkout.models import MAX_LINE_QUANTITY, CartLine, Checkout
from shoptide.content import service as content_service
from shoptide.db import Databases, rows_updated, utcnow
from shoptide.errors import InvalidInput, NotFound, OutOfStock
from shoptide.inventory import service as inventory_service
from shoptide.inventory.models import SHELF
from shoptide.markets.models import Market
from shoptide.money import Money
from shoptide.orders import service as orders_service
from shoptide.orders.models import Order
from shoptide.orders.service import LineDraft, OrderSource, ShippingAddress
from shoptide.payments import service as payments_service
from shoptide.payments.gateway import PaymentGateway
from shoptide.payments.models import Payment
from shoptide.settings import GLOBAL_CELL


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
    recommenders = await creators.by_ids(
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
        await attribution.touch_from_source(
            cell,
            await attribution.creator_hosts(global_, [source]),
            shopper_id=line.shopper_id,
            product_id=product_id,
            source=source,
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
                await attribution.in_force(
                    cell, shopper_id=shopper_id, product_id=sellable.product_id, market=market
                ),
            )
    elif line is not None:
        await cell.delete(line)
    await cell.flush()
    return await get_cart(cell, global_, shopper_id=shopper_id, market=market)


@dataclass
class CheckoutResult:
    checkout: Checkout
    orders: list[Order]
    payment: Payment | None
    replayed: bool = False

    @property
    def paid(self) -> bool:
        return self.checkout.status == "paid"


async def _existing(
    databases: Databases, cell: str, shopper_id: int, key: str
) -> CheckoutResult | None:
    async with databases.session(cell, write=False) as session:
        checkout = await session.scalar(
            select(Checkout).where(
                Checkout.shopper_id == shopper_id, Checkout.idempotency_key == key
            )
        )
        if checkout is None:
            return None
        return CheckoutResult(
            checkout,
            list(await orders_service.for_checkout(session, checkout.id)),
            await payments_service.get_payment(session, checkout_id=checkout.id),
            replayed=True,
        )


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


def _drafts_by_shop(
    purchases: Sequence[Purchase],
) -> dict[int, tuple[list[LineDraft], OrderSource | None]]:
    by_shop: dict[int, tuple[list[LineDraft], OrderSource | None]] = {}
    for p in purchases:
        s = p.sellable
        drafts, source = by_shop.setdefault(s.shop_id, ([], None))
        if source is None and p.source is not None:  # an order has one source: the first
            by_shop[s.shop_id] = (drafts, p.source)
        drafts.append(
            LineDraft(
                product_id=s.product_id,
                variant_id=s.variant_id,
                sku=s.sku,
                title=s.title,
                variant_label=s.variant_label,
                unit_price_minor=p.unit_price.amount,
                quantity=p.quantity,
                creator_id=p.touch.creator_id if p.touch else None,
                creator_touched_at=p.touch.touched_at if p.touch else None,
                creator_source=p.touch.source_kind if p.touch else "",
                creator_source_id=p.touch.source_id if p.touch else None,
            )
        )
    return by_shop


@dataclass(frozen=True)
class Attempt:
    """Who pays, where to, and under which idempotency key (compared trimmed)."""

    shopper_id: int
    market: Market
    key: str
    address: ShippingAddress
    ttl: timedelta

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.key.strip())


async def _record_checkout(
    session: AsyncSession,
    attempt: Attempt,
    purchases: Sequence[Purchase],
    *,
    kind: str,
    on_open: OpenHook | None = None,
) -> Checkout:
    """The checkout, its orders (one per shop) and its reservations; hot rows last."""
    if not purchases:
        raise InvalidInput("Your cart is empty.")
    market = attempt.market
    checkout = Checkout(
        shopper_id=attempt.shopper_id,
        idempotency_key=attempt.key,
        market_code=market.code,
        currency=market.currency,
        total_minor=sum(p.unit_price.amount * p.quantity for p in purchases),
        kind=kind,
    )
    session.add(checkout)
    await session.flush()
    for shop_id, (drafts, source) in _drafts_by_shop(purchases).items():
        await orders_service.create(
            session,
            checkout_id=checkout.id,
            shopper_id=attempt.shopper_id,
            shop_id=shop_id,
            market=market.code,
            currency=market.currency,
            tax_rate_bp=market.tax_rate_bp,
            lines=drafts,
            address=attempt.address,
            source=source,
        )
    if on_open is not None:
        await on_open(session, checkout)
    await session.flush()  # everything else written before the hot rows are locked
    await inventory_service.reserve(
        session,
        market=market.code,
        checkout_id=checkout.id,
        expires_at=utcnow() + attempt.ttl,
        items=[
            inventory_service.Take(p.sellable.variant_id, p.quantity, p.label, p.pool)
            for p in purchases
        ],
    )
    return checkout


# Step 1 of a checkout: one transaction that records it, creates the orders, reserves stock.
Opener = Callable[[], Awaitable[Checkout]]


def _cart_opener(databases: Databases, cell: str, attempt: Attempt) -> Opener:
    async def open_() -> Checkout:
        async with databases.session(GLOBAL_CELL, write=False) as global_:
            await global_.connection()  # global before cell, like every request (deps.py)
            async with databases.session(cell) as session:
                cart = await get_cart(
                    session, global_, shopper_id=attempt.shopper_id, market=attempt.market
                )
                purchases = [
                    Purchase(i.sellable, i.quantity, i.sellable.price, i.source, touch=i.touch)
                    for i in cart.items
                ]
                return await _record_checkout(session, attempt, purchases, kind="cart")

    return open_


def _direct_opener(
    databases: Databases,
    cell: str,
    attempt: Attempt,
    purchases: Sequence[Purchase],
    on_open: OpenHook | None,
) -> Opener:
    async def open_() -> Checkout:
        async with databases.session(cell) as session:
            stamped = [await _stamped(session, attempt, p) for p in purchases]
            return await _record_checkout(session, attempt, stamped, kind="direct", on_open=on_open)

    return open_


async def _stamped(cell: AsyncSession, attempt: Attempt, purchase: Purchase) -> Purchase:
    """A line bought on the spot is added and paid at once: stamped like a cart line, after
    the touch of the creator whose video or live room it was bought in."""
    shopper_id, product_id = attempt.shopper_id, purchase.sellable.product_id
    if purchase.source is not None and purchase.source_creator_id is not None:
        await attribution.touch_from_source(
            cell,
            {purchase.source.host_user_id: purchase.source_creator_id},
            shopper_id=shopper_id,
            product_id=product_id,
            source=purchase.source,
        )
    touch = await attribution.in_force(
        cell, shopper_id=shopper_id, product_id=product_id, market=attempt.market
    )
    return replace(purchase, touch=touch)


async def _remove_bought_from_cart(
    session: AsyncSession, shopper_id: int, orders: Sequence[Order]
) -> None:
    bought = [line.variant_id for order in orders for line in order.lines]
    await session.execute(
        delete(CartLine).where(CartLine.shopper_id == shopper_id, CartLine.variant_id.in_(bought))
    )


async def _give_up(
    session: AsyncSession, checkout: Checkout, orders: Sequence[Order], *, note: str
) -> None:
    """An unpaid checkout gives back what it held: stock now, anything else via the event."""
    await orders_service.mark_payment_failed(session, orders, note=note)
    events.record(
        session, events.CheckoutFailed(checkout_id=checkout.id, market=checkout.market_code)
    )
    await inventory_service.release(session, checkout_id=checkout.id)  # hot rows last


async def _settle(
    databases: Databases, cell: str, checkout: Checkout, outcome: payments_service.ChargeOutcome
) -> CheckoutResult:
    """Step 3, one transaction: paid → stock sold, cart emptied; declined → all put back."""
    async with databases.session(cell) as session:
        new_status = "paid" if outcome.succeeded else "failed"
        moved = await rows_updated(
            session,
            update(Checkout)
            .where(Checkout.id == checkout.id, Checkout.status == "pending_payment")
            .values(status=new_status, failure_reason=outcome.decline_reason[:200]),
        )
        payment = await payments_service.record_payment(
            session,
            checkout_id=checkout.id,
            amount=Money(checkout.total_minor, checkout.currency),
            outcome=outcome,
            refunding=outcome.succeeded and not moved,
        )
        orders = list(await orders_service.for_checkout(session, checkout.id))
        if moved and outcome.succeeded:
            await inventory_service.consume(session, checkout_id=checkout.id)
            await orders_service.mark_paid(
                session, orders, note=f"Paid by card •••• {outcome.card_last4}"
            )
            if checkout.kind == "cart":
                await _remove_bought_from_cart(session, checkout.shopper_id, orders)
        elif moved:
            await _give_up(session, checkout, orders, note=outcome.decline_reason)
        refreshed = await session.get(Checkout, checkout.id, populate_existing=True)
        assert refreshed is not None
        return CheckoutResult(refreshed, orders, payment)


async def _complete(
    databases: Databases,
    gateway: PaymentGateway,
    *,
    cell: str,
    attempt: Attempt,
    card_number: str,
    open_checkout: Opener,
) -> CheckoutResult:
    """Open (step 1), charge (step 2), settle (step 3); replays an idempotency key."""
    if not 8 <= len(attempt.key) <= 100:
        raise InvalidInput("The Idempotency-Key must be 8 to 100 characters.")
    card_number = payments_service.clean_card_number(card_number)
    if (existing := await _existing(databases, cell, attempt.shopper_id, attempt.key)) is not None:
        return existing
    try:
        checkout = await open_checkout()
    except IntegrityError:
        # a concurrent request with the same key created it first
        existing = await _existing(databases, cell, attempt.shopper_id, attempt.key)
        if existing is None:
            raise
        return existing
    outcome = await payments_service.charge(
        gateway,
        reference=checkout.payment_reference,
        amount=Money(checkout.total_minor, checkout.currency),
        card_number=card_number,
    )
    result = await _settle(databases, cell, checkout, outcome)
    if outcome.succeeded and not result.paid:
        # the reservation expired while the card was being charged: give the money back
        await payments_service.refund_charge(
            gateway, outcome, amount=Money(checkout.total_minor, checkout.currency)
        )
    return result


async def place(
    databases: Databases,
    gateway: PaymentGateway,
    *,
    cell: str,
    attempt: Attempt,
    card_number: str,
) -> CheckoutResult:
    """Turn the cart into paid orders, or leave cart and stock as they were.

    The same idempotency key always returns the same checkout, whatever its outcome.
    """
    return await _complete(
        databases,
        gateway,
        cell=cell,
        attempt=attempt,
        card_number=card_number,
        open_checkout=_cart_opener(databases, cell, attempt),
    )


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
    hosts = await attribution.creator_hosts(global_, [source])
    creator_id = hosts.get(source.host_user_id) if source else None
    price = unit_price or sellable.price
    return Purchase(sellable, quantity, price, source, pool, source_creator_id=creator_id)


async def buy_now(
    databases: Databases,
    gateway: PaymentGateway,
    *,
    cell: str,
    attempt: Attempt,
    purchases: Sequence[Purchase],
    card_number: str,
    on_open: OpenHook | None = None,
) -> CheckoutResult:
    """Pay for these lines at once, leaving the cart alone (a video's or live room's drawer).

    `on_open` runs in the first transaction: it may claim what the price depends on and
    raise to refuse; the CheckoutFailed event tells its owner when to give it back."""
    return await _complete(
        databases,
        gateway,
        cell=cell,
        attempt=attempt,
        card_number=card_number,
        open_checkout=_direct_opener(databases, cell, attempt, purchases, on_open),
    )


async def expire_stale(databases: Databases, cell: str, *, now: datetime | None = None) -> int:
    """Give back the stock of checkouts whose payment never completed; returns how many."""
    expired = 0
    async with databases.session(cell) as session:
        for checkout_id in await inventory_service.expired_checkout_ids(
            session, now=now or utcnow()
        ):
            moved = await rows_updated(
                session,
                update(Checkout)
                .where(Checkout.id == checkout_id, Checkout.status == "pending_payment")
                .values(status="expired", failure_reason="Payment was not completed in time."),
            )
            if not moved:  # paid or failed meanwhile: only stray reservations remain
                await inventory_service.release(session, checkout_id=checkout_id)
                continue
            checkout = await session.get_one(Checkout, checkout_id)
            orders = list(await orders_service.for_checkout(session, checkout_id))
            await _give_up(session, checkout, orders, note="Payment was not completed in time.")
            expired += 1
    return expired
