"""HTML pages. Routes on `private` need a signed-in user; the error handler sends a
visitor who isn't signed in to the sign-in page."""

from fastapi import APIRouter, Depends

from shoptide.accounts import pages as accounts_pages
from shoptide.affiliate.earnings import creator_pages as earnings_creator_pages
from shoptide.affiliate.earnings import seller_pages as earnings_seller_pages
from shoptide.affiliate.marketplace import creator_pages as marketplace_creator_pages
from shoptide.affiliate.plans import creator_pages as plans_creator_pages
from shoptide.affiliate.plans import seller_pages as plans_seller_pages
from shoptide.affiliate.samples import creator_pages as samples_creator_pages
from shoptide.affiliate.samples import seller_pages as samples_seller_pages
from shoptide.affiliate.showcase import creator_pages as showcase_creator_pages
from shoptide.affiliate.showcase import pages as showcase_pages
from shoptide.catalog import pages as catalog_pages
from shoptide.catalog import seller_pages as catalog_seller_pages
from shoptide.checkout import pages as checkout_pages
from shoptide.content import pages as content_pages
from shoptide.content import seller_pages as content_seller_pages
from shoptide.creators import pages as creators_pages
from shoptide.deps import current_user
from shoptide.feed import pages as feed_pages
from shoptide.feed import seller_pages as feed_seller_pages
from shoptide.live import commerce_pages as live_commerce_pages
from shoptide.live import pages as live_pages
from shoptide.live import seller_pages as live_seller_pages
from shoptide.markets import pages as markets_pages
from shoptide.orders import pages as orders_pages
from shoptide.orders import seller_pages as orders_seller_pages
from shoptide.shops import seller_pages as shops_seller_pages

router = APIRouter(include_in_schema=False)
for module in (
    markets_pages,
    accounts_pages,
    catalog_pages,
    content_pages,
    live_pages,
    live_commerce_pages,
    feed_pages,
    creators_pages,
    showcase_pages,
):
    router.include_router(module.public_router)

private = APIRouter(dependencies=[Depends(current_user)])
for sub in (
    checkout_pages.router,
    orders_pages.router,
    orders_seller_pages.router,
    catalog_seller_pages.router,
    shops_seller_pages.router,
    content_seller_pages.router,
    accounts_pages.router,
    live_pages.router,
    live_seller_pages.router,
    live_commerce_pages.router,
    feed_pages.router,
    feed_seller_pages.router,
    showcase_creator_pages.router,
    plans_seller_pages.router,
    samples_seller_pages.router,
    marketplace_creator_pages.router,
    plans_creator_pages.router,
    samples_creator_pages.router,
    earnings_creator_pages.router,
    earnings_seller_pages.router,
):
    private.include_router(sub)
router.include_router(private)
