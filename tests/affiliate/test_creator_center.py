"""Creator Center is for creators: shoppers and merchants are kept out of every page."""

import re

from sqlalchemy import func, select

from shoptide.db import Base, Databases
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.pages import sign_in_merchant, sign_in_shopper

CREATOR_PAGES = (
    "/creator/marketplace",
    "/creator/showcase",
    "/creator/invitations",
    "/creator/samples",
)


async def count(databases: Databases, model: type[Base]) -> int:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def row(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}">.*?</tr>', html, re.S)
    assert found, f"no row {row_id}"
    return found.group(0)


def section(html: str, section_id: str) -> str:
    found = re.search(rf'<section class="invitation" id="{section_id}">.*?</section>', html, re.S)
    assert found, f"no section {section_id}"
    return found.group(0)


async def test_shoppers_and_merchants_are_kept_out_of_creator_center(client, databases):
    shopper = await factories.shopper(databases)
    merchant = await factories.merchant(databases)
    await sign_in_shopper(client, shopper)
    for path in CREATOR_PAGES:
        assert (await client.get(path)).status_code == 403, path

    token = await sign_in_merchant(client, merchant.email)  # a fresh session
    for path in CREATOR_PAGES:
        assert (await client.get(path)).status_code == 403, path
    refused = await client.post("/creator/showcase", data={"csrf_token": token, "product_id": "1"})
    assert refused.status_code == 403
