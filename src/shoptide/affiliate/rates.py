"""Which commission rate a creator earns on a product (global cell).

The best of: an accepted, unexpired invitation to this creator that covers the product,
the product's open plan, the shop's open plan. None: the product pays no commission."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate.models import SHOP_WIDE, Invitation, InvitationProduct, OpenPlan
from shoptide.db import utcnow


@dataclass(frozen=True)
class Rate:
    rate_bp: int
    invitation_id: int | None = None  # the targeted plan it comes from, if any


async def open_rate(global_: AsyncSession, *, shop_id: int, product_id: int) -> int | None:
    """The open plan's rate on a product: its own, else the shop-wide one."""
    rows = await global_.execute(
        select(OpenPlan.product_id, OpenPlan.rate_bp).where(
            OpenPlan.shop_id == shop_id,
            OpenPlan.product_id.in_([product_id, SHOP_WIDE]),
            OpenPlan.active.is_(True),
        )
    )
    rates = {product: rate for product, rate in rows}
    return rates.get(product_id, rates.get(SHOP_WIDE))


async def rate_for(
    global_: AsyncSession,
    *,
    creator_id: int,
    shop_id: int,
    product_id: int,
    at: datetime | None = None,
) -> Rate | None:
    at = at or utcnow()
    targeted = await global_.execute(
        select(Invitation.id, Invitation.rate_bp)
        .join(InvitationProduct, InvitationProduct.invitation_id == Invitation.id)
        .where(
            Invitation.creator_id == creator_id,
            Invitation.shop_id == shop_id,
            Invitation.status == "accepted",
            Invitation.expires_at > at,
            InvitationProduct.product_id == product_id,
        )
        .order_by(Invitation.rate_bp.desc())
        .limit(1)
    )
    best_targeted = targeted.first()
    open_bp = await open_rate(global_, shop_id=shop_id, product_id=product_id)
    if best_targeted is not None and (open_bp is None or best_targeted.rate_bp >= open_bp):
        return Rate(best_targeted.rate_bp, best_targeted.id)
    return Rate(open_bp) if open_bp is not None else None
