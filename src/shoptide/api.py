"""The JSON API under /api/v1. Every route needs a bearer token unless it is on a
module's `public_router`."""

from shoptide.accounts import api as accounts_api
from shoptide.affiliate.earnings import api as earnings_api
from shoptide.affiliate.marketplace import api as marketplace_api
from shoptide.affiliate.plans import api as plans_api
from shoptide.affiliate.samples import api as samples_api
from shoptide.affiliate.showcase import api as showcase_api
from shoptide.catalog import api as catalog_api
from shoptide.checkout import api as checkout_api
from shoptide.content import api as content_api
from shoptide.feed import api as feed_api
from shoptide.live import api as live_api
from shoptide.live import commerce_api as live_commerce_api
from shoptide.markets import api as markets_api
from shoptide.orders import api as orders_api
from shoptide.shops import api as shops_api
from shoptide.web.routing import assemble

router = assemble(
    [
        accounts_api,
        markets_api,
        catalog_api,
        content_api,
        live_api,
        feed_api,
        checkout_api,
        orders_api,
        shops_api,
        live_commerce_api,
        plans_api,
        samples_api,
        marketplace_api,
        showcase_api,
        earnings_api,
    ],
    prefix="/api/v1",
)
