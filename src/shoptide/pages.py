"""HTML pages. Routes on `private` need a signed-in user; the error handler sends a
visitor who isn't signed in to the sign-in page."""

from fastapi import APIRouter, Depends

from shoptide.accounts import pages as accounts_pages
from shoptide.affiliate import earnings_pages as affiliate_earnings_pages
from shoptide.affiliate import pages as affiliate_pages
from shoptide.affiliate import seller_pages as affiliate_seller_pages
from shoptide.affiliate import studio_pages as affiliate_studio_pages
from shoptide.catalog import pages as catalog_pages
from shoptide.checkout import pages as checkout_pages
from shoptide.content import pages as content_pages
from shoptide.deps import current_user
from shoptide.feed import pages as feed_pages
from shoptide.live import commerce_pages as live_commerce_pages
from shoptide.live import pages as live_pages
from shoptide.markets import pages as markets_pages
from shoptide.orders import pages as orders_pages
from shoptide.seller import pages as seller_pages

router = APIRouter(include_in_schema=False)
for module in (
    markets_pages,
    accounts_pages,
    catalog_pages,
    content_pages,
    live_pages,
    feed_pages,
    affiliate_pages,
):
    router.include_router(module.public_router)

private = APIRouter(dependencies=[Depends(current_user)])
for sub in (
    checkout_pages.router,
    orders_pages.router,
    seller_pages.router,
    content_pages.router,
    accounts_pages.router,
    live_pages.host_router,
    feed_pages.router,
    affiliate_pages.router,
    affiliate_seller_pages.router,
    affiliate_studio_pages.router,
    affiliate_earnings_pages.router,
):
    private.include_router(sub)
router.include_router(private)
# room fragments: anyone may load them; each action checks who is asking
router.include_router(live_commerce_pages.viewer_router)
router.include_router(live_commerce_pages.host_router)
