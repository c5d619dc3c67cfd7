"""Open plans and invitations: what merchants offer and creators take up."""

import re
from datetime import timedelta

import pytest

from shoptide.affiliate import rates
from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.plans.models import Invitation, OpenPlan
from shoptide.affiliate.samples import service as samples
from shoptide.db import utcnow
from shoptide.errors import InvalidInput, InvalidTransition, NotFound
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import factories as affiliate
from tests.affiliate.support import count


@pytest.mark.parametrize(
    ("typed", "bp"), [("12.5", 1250), ("12.5%", 1250), (" 80 ", 8000), ("1", 100), ("7.25", 725)]
)
def test_rates_are_typed_in_percent_with_up_to_two_decimals(typed, bp):
    assert rates.parse_rate_percent(typed) == bp
    assert rates.format_rate(bp) == f"{typed.strip().removesuffix('%')}%"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0.99", "Commission rates run from 1% to 80%."),
        ("80.01", "Commission rates run from 1% to 80%."),
        ("-5", "Commission rates run from 1% to 80%."),
        ("12.345", "at most two decimals"),
        ("twelve", "as a percentage"),
        ("", "as a percentage"),
        ("NaN", "as a percentage"),
    ],
)
def test_a_rate_a_person_cannot_mean_is_refused_with_a_reason(typed, message):
    with pytest.raises(InvalidInput, match=re.escape(message)):
        rates.parse_rate_percent(typed)


async def test_a_rate_outside_1_to_80_percent_writes_nothing(databases):
    shop = await factories.merchant(databases)
    for bp in (99, 8001, 0):
        with pytest.raises(InvalidInput, match="Commission rates run from 1% to 80%"):
            async with databases.session(GLOBAL_CELL) as session:
                await plans.set_open_rate(session, shop_id=shop.shop_id, rate_bp=bp)

    assert await count(databases, OpenPlan) == 0


async def test_a_product_rate_wins_over_the_shop_rate_until_it_ends(databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    await affiliate.open_rate(databases, shop.shop_id, 1500, product_id=item.id)
    await affiliate.open_rate(databases, shop.shop_id, 1750, product_id=item.id)  # a change

    async with databases.session(GLOBAL_CELL) as session:
        listed = await plans.list_open(session, shop_id=shop.shop_id)
        assert [(r.product_id, r.rate_bp) for r in listed] == [(0, 1000), (item.id, 1750)]
        assert listed[1].title.startswith("Product")
        assert await plans.open_rate(session, shop_id=shop.shop_id, product_id=item.id) == 1750
        await plans.end_open_rate(session, shop_id=shop.shop_id, product_id=item.id)
        assert await plans.open_rate(session, shop_id=shop.shop_id, product_id=item.id) == 1000
        with pytest.raises(NotFound, match="no open commission rate"):
            await plans.end_open_rate(session, shop_id=shop.shop_id, product_id=item.id)


async def test_a_plan_on_another_shops_product_is_refused_and_nothing_written(databases):
    mine, theirs = await factories.merchant(databases), await factories.merchant(databases)
    own = await factories.product(databases, mine)
    other = await factories.product(databases, theirs)
    who = await affiliate.creator(databases)

    with pytest.raises(NotFound, match=f"Product {other.id} is not one of your shop's products"):
        async with databases.session(GLOBAL_CELL) as session:
            await plans.set_open_rate(
                session, shop_id=mine.shop_id, product_id=other.id, rate_bp=1000
            )
    with pytest.raises(NotFound, match=f"Product {other.id} is not one of your shop's"):
        await affiliate.invitation(databases, mine.shop_id, who, [own.id, other.id])

    assert await count(databases, OpenPlan) == 0
    assert await count(databases, Invitation) == 0


async def test_inviting_an_unknown_creator_code_is_not_found(databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    async with databases.session(GLOBAL_CELL) as session:
        with pytest.raises(NotFound, match="There is no creator with the code 'nobody_here'"):
            await plans.invite(
                session,
                shop_id=shop.shop_id,
                handle="nobody_here",
                rate_bp=2000,
                product_ids=[item.id],
                expires_at=utcnow() + timedelta(days=7),
            )
    assert await count(databases, Invitation) == 0


@pytest.mark.parametrize(
    ("expires_in", "message"),
    [
        (timedelta(hours=-1), "in the future"),
        (timedelta(days=367), "at most a year"),
    ],
)
async def test_an_invitation_runs_from_now_to_at_most_a_year(databases, expires_in, message):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    who = await affiliate.creator(databases)
    with pytest.raises(InvalidInput, match=message):
        await affiliate.invitation(
            databases, shop.shop_id, who, [item.id], expires_at=utcnow() + expires_in
        )
    with pytest.raises(InvalidInput, match="at least one product"):
        await affiliate.invitation(databases, shop.shop_id, who, [])
    assert await count(databases, Invitation) == 0


async def test_an_accepted_invitation_pays_its_rate_until_it_expires(databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    who = await affiliate.creator(databases)
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, who, [item.id], rate_bp=2500
    )

    async with databases.session(GLOBAL_CELL) as session:
        before = await plans.rate_for(
            session, creator_id=who.id, shop_id=shop.shop_id, product_id=item.id
        )
        await plans.accept(session, creator_id=who.id, invitation_id=invitation_id)
        after = await plans.rate_for(
            session, creator_id=who.id, shop_id=shop.shop_id, product_id=item.id
        )
        (view,) = await plans.creator_invitations(session, creator_id=who.id)

    assert before == plans.Rate(1000)
    assert after == plans.Rate(2500, invitation_id)
    assert view.status == "accepted" and view.shop_name.startswith("Shop")
    assert view.invitation.responded_at is not None


async def test_an_expired_invitation_cannot_be_accepted(databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    who = await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(databases, shop.shop_id, who, [item.id])
    await affiliate.expire(databases, invitation_id)

    with pytest.raises(InvalidInput, match="This invitation expired on"):
        async with databases.session(GLOBAL_CELL) as session:
            await plans.accept(session, creator_id=who.id, invitation_id=invitation_id)

    async with databases.session(GLOBAL_CELL, write=False) as session:
        (view,) = await plans.shop_invitations(session, shop_id=shop.shop_id)
    assert view.invitation.status == "invited" and view.status == "expired"


async def test_a_withdrawn_invitation_can_no_longer_be_accepted(databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    who = await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(databases, shop.shop_id, who, [item.id])
    async with databases.session(GLOBAL_CELL) as session:
        await plans.withdraw(session, shop_id=shop.shop_id, invitation_id=invitation_id)

    async with databases.session(GLOBAL_CELL) as session:
        with pytest.raises(InvalidTransition, match="withdrawn"):
            await plans.accept(session, creator_id=who.id, invitation_id=invitation_id)
        with pytest.raises(InvalidTransition, match="nothing to end"):
            await plans.withdraw(session, shop_id=shop.shop_id, invitation_id=invitation_id)


async def test_one_party_never_reaches_anothers_invitations_or_samples(databases):
    shop, stranger_shop = await factories.merchant(databases), await factories.merchant(databases)
    item = await factories.product(databases, shop)
    who, stranger = await affiliate.creator(databases), await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, who, [item.id], samples=True, accepted=True
    )
    sample = await affiliate.sample_request(databases, who, invitation_id, item.id)

    async with databases.session(GLOBAL_CELL) as session:
        for attempt in (
            plans.withdraw(session, shop_id=stranger_shop.shop_id, invitation_id=invitation_id),
            plans.decline(session, creator_id=stranger.id, invitation_id=invitation_id),
            samples.decide(
                session, shop_id=stranger_shop.shop_id, sample_id=sample.id, approve=True
            ),
            samples.request(
                session,
                creator_id=stranger.id,
                invitation_id=invitation_id,
                product_id=item.id,
                ship_to="2 Side Street",
            ),
        ):
            with pytest.raises(NotFound):
                await attempt
        assert await plans.shop_invitations(session, shop_id=stranger_shop.shop_id) == []
        assert await plans.creator_invitations(session, creator_id=stranger.id) == []
        assert await samples.for_shop(session, shop_id=stranger_shop.shop_id) == []
        assert await samples.for_creator(session, creator_id=stranger.id) == []
