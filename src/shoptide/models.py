"""Imports every domain's models so Base.metadata knows all tables (migrations, admin)."""

from shoptide import events  # noqa: F401
from shoptide.accounts import models as accounts  # noqa: F401
from shoptide.affiliate.commissions import models as affiliate_commissions  # noqa: F401
from shoptide.affiliate.marketplace import models as affiliate_marketplace  # noqa: F401
from shoptide.affiliate.payouts import models as affiliate_payouts  # noqa: F401
from shoptide.affiliate.plans import models as affiliate_plans  # noqa: F401
from shoptide.affiliate.samples import models as affiliate_samples  # noqa: F401
from shoptide.catalog import models as catalog  # noqa: F401
from shoptide.checkout import models as checkout  # noqa: F401
from shoptide.content import models as content  # noqa: F401
from shoptide.creators import models as creators  # noqa: F401
from shoptide.feed import models as feed  # noqa: F401
from shoptide.inventory import models as inventory  # noqa: F401
from shoptide.ledger import models as ledger  # noqa: F401
from shoptide.live import models as live  # noqa: F401
from shoptide.markets import models as markets  # noqa: F401
from shoptide.orders import models as orders  # noqa: F401
from shoptide.payments import models as payments  # noqa: F401
from shoptide.shops import models as shops  # noqa: F401
