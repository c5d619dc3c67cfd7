"""The operations console: operators only."""

from shoptide.feed.models import TrainingRun
from shoptide.settings import GLOBAL_CELL
from tests import factories


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
