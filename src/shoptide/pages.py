"""HTML pages. Routes not on a module's `public_router` need a signed-in user; the error
handler sends a visitor who isn't signed in to the sign-in page."""

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
from shoptide.feed import pages as feed_pages
from shoptide.feed import seller_pages as feed_seller_pages
from shoptide.live import commerce_pages as live_commerce_pages
from shoptide.live import pages as live_pages
from shoptide.live import seller_pages as live_seller_pages
from shoptide.markets import pages as markets_pages
from shoptide.orders import pages as orders_pages
from shoptide.orders import seller_pages as orders_seller_pages
from shoptide.shops import seller_pages as shops_seller_pages
from shoptide.web.routing import assemble

router = assemble(
    [
        markets_pages,
        accounts_pages,
        catalog_pages,
        content_pages,
        live_pages,
        live_commerce_pages,
        feed_pages,
        creators_pages,
        showcase_pages,
        checkout_pages,
        orders_pages,
        orders_seller_pages,
        catalog_seller_pages,
        shops_seller_pages,
        content_seller_pages,
        live_seller_pages,
        feed_seller_pages,
        showcase_creator_pages,
        plans_seller_pages,
        samples_seller_pages,
        marketplace_creator_pages,
        plans_creator_pages,
        samples_creator_pages,
        earnings_creator_pages,
        earnings_seller_pages,
    ],
    include_in_schema=False,
)
