"""The operations console: operators only."""

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from shoptide.accounts import service as accounts_service
from shoptide.accounts.models import User
from shoptide.events import OutboxEvent
from shoptide.feed.models import TrainingRun
from shoptide.settings import GLOBAL_CELL, PUBLIC_DEV_SECRET_KEY
from shoptide.web.sessions import CONSOLE_COOKIE
from tests import factories
from tests.pages import BROWSER, sign_in_merchant, sign_in_shopper


async def _login(client, email: str) -> int:
    response = await client.post(
        "/admin/login", data={"username": email, "password": factories.PASSWORD}
    )
    return response.status_code


async def test_operator_signs_in_and_sees_the_markets(client, databases):
    operator = await factories.operator(databases)

    assert await _login(client, operator.email) in (302, 303)
    page = await client.get("/admin/market/list")

    assert page.status_code == 200
    assert "Indonesia" in page.text and "IDR" in page.text


async def test_merchants_and_strangers_are_kept_out_of_the_console(client, databases):
    merchant = await factories.merchant(databases)

    assert await _login(client, merchant.email) == 400
    page = await client.get("/admin/market/list")

    assert page.status_code in (302, 303)
    assert "/admin/login" in page.headers["location"]


async def test_each_cell_has_its_own_console_for_shoppers(client, databases):
    operator = await factories.operator(databases)
    await factories.shopper(databases, "ID", email="siti@example.id")
    await factories.shopper(databases, "US", email="joe@example.com")

    await _login(client, operator.email)
    page = await client.get("/admin/user-sea/list")

    assert page.status_code == 200
    assert "siti@example.id" in page.text
    assert "joe@example.com" not in page.text


async def test_operators_follow_the_feeds_training_runs(client, databases):
    operator = await factories.operator(databases)
    async with databases.session(GLOBAL_CELL) as session:
        session.add(TrainingRun(status="running", progress=42, message=""))
        session.add(
            TrainingRun(
                status="rejected",
                progress=100,
                message="not enough feed traffic yet: 12 shown items, 500 needed",
            )
        )

    await _login(client, operator.email)
    page = await client.get("/admin/training-run/list")

    assert page.status_code == 200
    assert '<progress max="100" value="42">' in page.text
    assert "not enough feed traffic yet: 12 shown items, 500 needed" in page.text


# --- changes that go through the domains' services ------------------------------------------


async def _status_events(databases) -> list[dict]:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        rows = await session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.type == "ProductStatusChanged")
            .order_by(OutboxEvent.id)
        )
        return list(rows)


async def _role(databases, user_id: int) -> str:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        return (await session.get(User, user_id)).role


async def test_the_product_form_has_no_status_and_the_account_form_no_role(client, databases):
    operator = await factories.operator(databases)
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)

    await _login(client, operator.email)
    product_form = await client.get(f"/admin/product/edit/{item.id}")
    account_form = await client.get(f"/admin/user/edit/{shop.id}")

    assert product_form.status_code == 200 and 'name="title"' in product_form.text
    assert 'name="status"' not in product_form.text
    assert account_form.status_code == 200 and 'name="display_name"' in account_form.text
    assert 'name="role"' not in account_form.text


async def test_unpublishing_in_the_console_records_what_seller_center_records(client, databases):
    operator = await factories.operator(databases)
    shop = await factories.merchant(databases)
    by_shop = await factories.product(databases, shop, publish=False)
    by_operator = await factories.product(databases, shop, publish=False)
    token = await sign_in_merchant(client, shop.email)
    for item in (by_shop, by_operator):  # both published from Seller Center
        published = await client.post(
            f"/seller/products/{item.id}/status", data={"csrf_token": token, "status": "published"}
        )
        assert published.status_code == 303
    unpublished = await client.post(
        f"/seller/products/{by_shop.id}/status", data={"csrf_token": token, "status": "draft"}
    )
    assert unpublished.status_code == 303

    await _login(client, operator.email)
    action = await client.get(
        "/admin/product/action/unpublish", params={"pks": str(by_operator.id)}
    )

    assert action.status_code == 303
    events = await _status_events(databases)
    assert events[-1] == {**events[-2], "product_id": by_operator.id}  # the same event
    assert events[-1]["to_status"] == "draft"
    assert (await client.get(f"/p/{by_operator.id}")).status_code == 404  # hidden now


async def test_publishing_in_the_console_keeps_the_catalogs_rules(client, databases):
    operator = await factories.operator(databases)
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, publish=False)

    await _login(client, operator.email)
    action = await client.get("/admin/product/action/publish", params={"pks": str(item.id)})

    assert action.status_code == 303
    assert [e["to_status"] for e in await _status_events(databases)] == ["published"]
    assert (await client.get(f"/p/{item.id}")).status_code == 200


async def test_an_operator_makes_a_merchant_an_operator_and_back(client, databases):
    operator = await factories.operator(databases)
    shop = await factories.merchant(databases)

    await _login(client, operator.email)
    promoted = await client.get("/admin/user/action/make-operator", params={"pks": str(shop.id)})
    assert promoted.status_code == 303
    assert await _role(databases, shop.id) == "operator"
    demoted = await client.get("/admin/user/action/make-merchant", params={"pks": str(shop.id)})

    assert demoted.status_code == 303
    assert await _role(databases, shop.id) == "merchant"


async def test_roles_the_console_may_not_change_stay_as_they_are(client, databases):
    operator = await factories.operator(databases)
    creator = await factories.merchant(databases)
    async with databases.session(GLOBAL_CELL) as session:
        (await session.get(User, creator.id)).role = "creator"

    await _login(client, operator.email)
    await client.get("/admin/user/action/make-operator", params={"pks": str(creator.id)})
    first = await client.get("/admin/user/list")
    await client.get("/admin/user/action/make-merchant", params={"pks": str(operator.id)})
    second = await client.get("/admin/user/list")

    assert await _role(databases, creator.id) == "creator"
    assert await _role(databases, operator.id) == "operator"  # not even their own
    assert "is a creator account; its role stays as it is." in first.text  # the console says why
    assert "change your own role; ask another operator." in second.text


# --- the console's sign-in: its own strict cookie, shared with the site's sign-in ---------


async def test_signing_in_to_the_console_keeps_the_site_signed_in(client, databases):
    joe = await factories.shopper(databases, "US")
    operator = await factories.operator(databases)
    await sign_in_shopper(client, joe)

    await _login(client, operator.email)
    console = await client.get("/admin/market/list")
    inbox = await client.get("/notifications", headers=BROWSER)

    assert console.status_code == 200
    assert inbox.status_code == 200  # still Joe on the site


async def test_an_operator_signed_in_on_the_site_is_in_the_console(client, databases):
    operator = await factories.operator(databases)

    await sign_in_merchant(client, operator.email, lands_on="/admin")
    console = await client.get("/admin/market/list")

    assert console.status_code == 200


async def test_the_console_cookie_is_strict_and_for_the_console_only(client, databases):
    operator = await factories.operator(databases)

    response = await client.post(
        "/admin/login", data={"username": operator.email, "password": factories.PASSWORD}
    )

    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{CONSOLE_COOKIE}=")
    assert "samesite=strict" in cookie and "httponly" in cookie and "path=/admin" in cookie


def _kept_out(page) -> bool:
    return page.status_code in (302, 303) and "/admin/login" in page.headers["location"]


async def test_a_console_cookie_signed_with_the_public_key_is_refused(client, databases):
    operator = await factories.operator(databases)
    claim = {"uid": operator.id, "sv": 0}
    client.cookies.set(
        CONSOLE_COOKIE,
        URLSafeTimedSerializer(PUBLIC_DEV_SECRET_KEY, salt="shoptide operations console").dumps(
            claim
        ),
        path="/admin",
    )

    assert _kept_out(await client.get("/admin/market/list"))


async def test_signing_out_of_the_console_ends_every_copy_of_its_cookie(client, databases):
    operator = await factories.operator(databases)
    await _login(client, operator.email)
    copy = client.cookies[CONSOLE_COOKIE]

    await client.get("/admin/logout")
    client.cookies.set(CONSOLE_COOKIE, copy, path="/admin")

    assert _kept_out(await client.get("/admin/market/list"))


async def test_an_operator_made_a_merchant_again_leaves_the_console_at_once(client, databases):
    operator = await factories.operator(databases)
    await _login(client, operator.email)
    async with databases.session(GLOBAL_CELL) as session:
        await accounts_service.change_role(session, operator.id, role="merchant", acting_user_id=0)

    assert _kept_out(await client.get("/admin/market/list"))
