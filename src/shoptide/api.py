"""The JSON API under /api/v1. Every route needs a bearer token unless it is on a
public router."""

from fastapi import APIRouter, Depends

from shoptide.accounts import api as accounts_api
from shoptide.affiliate.earnings import api as earnings_api
from shoptide.affiliate.marketplace import api as marketplace_api
from shoptide.affiliate.plans import api as plans_api
from shoptide.affiliate.samples import api as samples_api
from shoptide.affiliate.showcase import api as showcase_api
from shoptide.catalog import api as catalog_api
from shoptide.checkout import api as checkout_api
from shoptide.content import api as content_api
from shoptide.deps import current_user
from shoptide.feed import api as feed_api
from shoptide.live import api as live_api
from shoptide.live import commerce_api as live_commerce_api
from shoptide.markets import api as markets_api
from shoptide.orders import api as orders_api
from shoptide.shops import api as shops_api

public = APIRouter()
for module in (
    accounts_api,
    markets_api,
    catalog_api,
    content_api,
    live_api,
    feed_api,
):
    public.include_router(module.public_router)

authenticated = APIRouter(dependencies=[Depends(current_user)])
for sub in (
    accounts_api.router,
    checkout_api.router,
    orders_api.router,
    catalog_api.router,
    orders_api.seller_router,
    shops_api.router,
    content_api.router,
    live_commerce_api.router,
    feed_api.router,
    plans_api.router,
    samples_api.router,
    marketplace_api.router,
    showcase_api.router,
    earnings_api.router,
):
    authenticated.include_router(sub)

router = APIRouter(prefix="/api/v1")
router.include_router(public)
router.include_router(authenticated)
