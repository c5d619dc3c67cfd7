"""How an API request names a market: the document says what a code looks like, a malformed
code is bad input (422), and a well-formed code of no market shoptide sells in is a market
that is not there (404), in a header as in a body, as an unknown id is."""

from typing import Any

import pytest

from tests import factories
from tests.test_bad_input import error_message


@pytest.mark.parametrize("header", ["US", "us"])
async def test_a_market_code_in_any_case_selects_the_market(client, header):
    response = await client.get("/api/v1/products", headers={"X-Market": header})

    assert response.status_code == 200, response.text


async def test_an_unknown_market_is_not_found(client):
    response = await client.get("/api/v1/products", headers={"X-Market": "ZZ"})

    assert "We don't sell in market 'ZZ'" in error_message(response, 404, "not_found")


@pytest.mark.parametrize("header", ["null", "U1", "U"])
async def test_a_malformed_market_code_is_refused_as_bad_input(client, header):
    response = await client.get("/api/v1/products", headers={"X-Market": header})

    assert "x-market" in error_message(response, 422, "invalid_input")


async def test_registering_in_an_unknown_market_is_refused(client):
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": "new@example.com",
            "password": factories.PASSWORD,
            "display_name": "New",
            "market": "ZZ",
        },
    )

    assert "We don't sell in market 'ZZ'" in error_message(response, 404, "not_found")


def _market_schemas(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every parameter and body property of the document that names a market."""
    found = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if "market" in parameter["name"].lower():
                    found[f"{method} {path} {parameter['name']}"] = parameter["schema"]
    for name, schema in spec["components"]["schemas"].items():
        if name.endswith("Read"):
            continue  # answers name markets the server chose
        for field, prop in schema.get("properties", {}).items():
            if field == "market":
                found[f"{name}.{field}"] = prop
    return found


async def test_the_document_says_what_a_market_code_looks_like(client):
    spec = (await client.get("/openapi.json")).json()
    patterns = {
        where: [s.get("pattern") for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
        for where, schema in _market_schemas(spec).items()
    }

    assert len(patterns) > 40  # the header on many routes, paths, bodies and forms
    assert {where: p for where, p in patterns.items() if p != ["^[A-Za-z]{2}$"]} == {}
