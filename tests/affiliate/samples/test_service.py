"""Free samples: asked for under an accepted invitation that offers them, approved, shipped."""

import pytest

from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.samples import service as samples
from shoptide.affiliate.samples.models import SampleRequest
from shoptide.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import factories as affiliate
from tests.affiliate.support import count


async def test_a_sample_is_requested_once_approved_then_shipped(databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    who = await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, who, [item.id], samples=True, accepted=True
    )

    async def ask(ship_to: str = "1 Main Street, Springfield") -> SampleRequest:
        async with databases.session(GLOBAL_CELL) as session:
            return await samples.request(
                session,
                creator_id=who.id,
                invitation_id=invitation_id,
                product_id=item.id,
                ship_to=ship_to,
            )

    with pytest.raises(InvalidInput, match="address"):
        await ask("  ")
    sample = await ask()
    with pytest.raises(Conflict, match="already asked"):
        await ask()
    assert await count(databases, SampleRequest) == 1

    async with databases.session(GLOBAL_CELL) as session:
        with pytest.raises(InvalidTransition, match="Approve this sample request before"):
            await samples.ship(
                session,
                shop_id=shop.shop_id,
                sample_id=sample.id,
                carrier="UPS",
                tracking_number="1Z",
            )
        await samples.decide(session, shop_id=shop.shop_id, sample_id=sample.id, approve=True)
        with pytest.raises(InvalidTransition, match="approved already"):
            await samples.decide(session, shop_id=shop.shop_id, sample_id=sample.id, approve=False)
        with pytest.raises(InvalidInput, match="tracking number"):
            await samples.ship(
                session,
                shop_id=shop.shop_id,
                sample_id=sample.id,
                carrier="UPS",
                tracking_number="",
            )
        await samples.ship(
            session, shop_id=shop.shop_id, sample_id=sample.id, carrier="UPS", tracking_number="1Z9"
        )
        (view,) = await samples.for_creator(session, creator_id=who.id)

    assert (view.sample.status, view.sample.carrier, view.sample.tracking_number) == (
        "shipped",
        "UPS",
        "1Z9",
    )
    assert view.product_title.startswith("Product")


async def test_samples_need_an_accepted_invitation_that_offers_them(databases):
    shop = await factories.merchant(databases)
    item, other = await factories.product(databases, shop), await factories.product(databases, shop)
    who = await affiliate.creator(databases)
    pending = await affiliate.invitation(databases, shop.shop_id, who, [item.id], samples=True)
    no_samples = await affiliate.invitation(databases, shop.shop_id, who, [item.id], accepted=True)
    offering = await affiliate.invitation(
        databases, shop.shop_id, who, [item.id], samples=True, accepted=True
    )

    async with databases.session(GLOBAL_CELL) as session:
        for invitation_id, product_id, error, message in (
            (pending, item.id, InvalidInput, "Accept the invitation"),
            (no_samples, item.id, InvalidInput, "doesn't offer free samples"),
            (offering, other.id, NotFound, "not part of this invitation"),
        ):
            with pytest.raises(error, match=message):
                await samples.request(
                    session,
                    creator_id=who.id,
                    invitation_id=invitation_id,
                    product_id=product_id,
                    ship_to="1 Main Street",
                )
        views = await plans.creator_invitations(session, creator_id=who.id)
        choices = samples.choices(views, [])
    assert [(c.invitation_id, c.product_id) for c in choices] == [(offering, item.id)]
    assert await count(databases, SampleRequest) == 0
