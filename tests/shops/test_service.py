"""Shops and who works in them: owners, staff, and the accounts made for colleagues."""

import pytest

from shoptide.accounts.service import Passwords
from shoptide.errors import Conflict, InvalidInput, NotAllowed, NotFound
from shoptide.settings import GLOBAL_CELL
from shoptide.shops import service
from tests import factories


async def test_a_new_shop_has_a_slug_and_its_creator_as_owner(databases):
    merchant = await factories.merchant(databases)

    async with databases.session(GLOBAL_CELL) as session:
        shop = await service.create(
            session, name="  Harbour & Co. ", home_market="GB", owner_id=merchant.id
        )
        members = await service.list_members(session, shop_id=shop.id)
        owners = await service.owners(session, [shop.id, merchant.shop_id])

    assert (shop.name, shop.slug) == ("Harbour & Co.", "harbour-co")
    assert [(user.id, role) for user, role in members] == [(merchant.id, "owner")]
    assert owners == {shop.id: merchant.id, merchant.shop_id: merchant.id}


async def test_two_shops_cannot_have_the_same_name(databases):
    merchant = await factories.merchant(databases, shop_name="Alpha Apparel")

    with pytest.raises(Conflict, match="A shop called 'Alpha Apparel' already exists"):
        async with databases.session(GLOBAL_CELL) as session:
            await service.create(
                session, name="Alpha Apparel", home_market="US", owner_id=merchant.id
            )


async def test_a_merchant_sees_their_shops_by_name_with_their_role(databases):
    merchant = await factories.merchant(databases, shop_name="Zeta Goods")
    boss = await factories.merchant(databases)
    async with databases.session(GLOBAL_CELL) as session:
        other = await service.create(
            session, name="Alpha Apparel", home_market="US", owner_id=boss.id
        )
        await service.add_member(
            session, shop_id=other.id, acting_role="owner", user_id=merchant.id, role="staff"
        )
        seats = await service.memberships(session, user_id=merchant.id)
        found = await service.shop_of_member(session, user_id=merchant.id, shop_id=other.id)

    assert [(shop.name, role) for shop, role in seats] == [
        ("Alpha Apparel", "staff"),
        ("Zeta Goods", "owner"),
    ]
    assert found.id == other.id


async def test_only_members_act_for_a_shop(databases):
    mine = await factories.merchant(databases)
    theirs = await factories.merchant(databases)

    async with databases.session(GLOBAL_CELL, write=False) as session:
        with pytest.raises(NotAllowed, match="not a member"):
            await service.shop_of_member(session, user_id=mine.id, shop_id=theirs.shop_id)
        with pytest.raises(NotFound):
            await service.get(session, 999_999)


async def test_only_an_owner_adds_staff_once_with_a_known_role(databases):
    owner = await factories.merchant(databases)
    colleague = await factories.merchant(databases)

    async with databases.session(GLOBAL_CELL) as session:
        with pytest.raises(NotAllowed, match="Only a shop owner"):
            await service.add_member(
                session,
                shop_id=owner.shop_id,
                acting_role="staff",
                user_id=colleague.id,
                role="staff",
            )
        with pytest.raises(InvalidInput, match="Role must be one of"):
            await service.add_member(
                session,
                shop_id=owner.shop_id,
                acting_role="owner",
                user_id=colleague.id,
                role="boss",
            )
        await service.add_member(
            session, shop_id=owner.shop_id, acting_role="owner", user_id=colleague.id, role="staff"
        )
        with pytest.raises(Conflict, match="already a member"):
            await service.add_member(
                session,
                shop_id=owner.shop_id,
                acting_role="owner",
                user_id=colleague.id,
                role="owner",
            )
        members = await service.list_members(session, shop_id=owner.shop_id)

    assert sorted(role for _, role in members) == ["owner", "staff"]


async def test_a_staff_account_is_a_merchant_seated_in_the_shop(databases):
    owner = await factories.merchant(databases)
    passwords = Passwords(databases.settings)

    async with databases.session(GLOBAL_CELL) as session:
        user = await service.add_staff_account(
            session,
            shop_id=owner.shop_id,
            acting_role="owner",
            email="Sam@Example.com",
            display_name="Sam",
            password="a long password",
            role="staff",
            passwords=passwords,
        )
        seats = await service.memberships(session, user_id=user.id)
        with pytest.raises(NotAllowed):
            await service.add_staff_account(
                session,
                shop_id=owner.shop_id,
                acting_role="staff",
                email="eve@example.com",
                display_name="Eve",
                password="a long password",
                role="owner",
                passwords=passwords,
            )

    assert (user.role, user.email) == ("merchant", "sam@example.com")
    assert [(shop.id, role) for shop, role in seats] == [(owner.shop_id, "staff")]
