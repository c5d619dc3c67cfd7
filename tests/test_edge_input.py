"""Input no database can hold is refused at the edge, on SQLite and PostgreSQL alike: an id
past its column's range, a NUL character, a lone surrogate. Never a 500.

The rule for ids: one in the path that cannot name a row is a 404 (there is nothing at
that address); one in a query, a form or a JSON body is a 422 naming the field."""

import re
import typing
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import annotated_types
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, _iter_routes_with_context
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tests import factories
from tests.affiliate import factories as affiliate_factories
from tests.affiliate.factories import sign_in_creator
from tests.pages import BROWSER, sign_in_merchant, sign_in_shopper
from tests.test_bad_input import error_message, refused_raw_json, snapshot

PATH_PARAM = re.compile(r"{(\w+)}")
PAST_INT4 = 2**31  # one past PostgreSQL's integer
PAST_INT8 = 2**63  # one past SQLite's integer and PostgreSQL's bigint
SAMPLE_TEXT = {"market": "US", "order_market": "US", "choice": "like", "step": "confirm"}


def _dependants(dependant: Any) -> Iterator[Any]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _api_routes(app: FastAPI) -> list[tuple[APIRoute, str]]:
    return [
        (route, context.path if context else route.path)
        for route, context in _iter_routes_with_context(app.routes)
        if isinstance(route, APIRoute)
    ]


def _is_int(annotation: Any) -> bool:
    return annotation is int or int in typing.get_args(annotation)


def _int_path_params(route: APIRoute) -> dict[str, int]:
    """The route's integer path parameters, each with the largest value it admits."""
    return {
        field.name: min(
            (m.le for m in field.field_info.metadata if isinstance(m, annotated_types.Le)),
            default=PAST_INT8 * 2,
        )
        for dependant in _dependants(route.dependant)
        for field in dependant.path_params
        if _is_int(field.field_info.annotation)
    }


def id_routes(app: FastAPI) -> list[tuple[str, str, dict[str, int]]]:
    """(method, path, its integer path parameters) for every route with an id in its path."""
    return [
        (method, path, ints)
        for route, path in _api_routes(app)
        if (ints := _int_path_params(route))
        for method in sorted(route.methods - {"HEAD"})
    ]


def _has_upper_bound(metadata: Iterable[Any]) -> bool:
    return any(
        isinstance(m, annotated_types.Le | annotated_types.Lt)
        or (isinstance(m, FieldInfo) and _has_upper_bound(m.metadata))
        for m in metadata
    )


def _bounded(metadata: Iterable[Any], annotation: Any) -> bool:
    """An upper bound on the field itself, or on each int inside it (`Id | None`, `list[Id]`)."""
    if _has_upper_bound(metadata):
        return True
    if annotation is int:
        return False
    if typing.get_origin(annotation) is Annotated:
        return _bounded(annotation.__metadata__, typing.get_args(annotation)[0])
    return all(_bounded([], a) for a in typing.get_args(annotation) if _mentions_int(a))


def unbounded_ints(app: FastAPI) -> list[str]:
    """Every integer a request carries (path, query, header, form, JSON body) without an
    upper bound: each one a way to send a number the database can't hold."""
    found: list[str] = []
    models: set[type[BaseModel]] = set()
    for route, path in _api_routes(app):
        for dependant in _dependants(route.dependant):
            for field in [
                *dependant.path_params,
                *dependant.query_params,
                *dependant.header_params,
                *dependant.body_params,
            ]:
                info = field.field_info
                if _mentions_int(info.annotation) and not _bounded(info.metadata, info.annotation):
                    found.append(f"{path} {field.name}")
                models |= set(_models_in(info.annotation))
    seen: set[type[BaseModel]] = set()
    while models:
        model = models.pop()
        seen.add(model)
        for name, info in model.model_fields.items():
            if _mentions_int(info.annotation) and not _bounded(info.metadata, info.annotation):
                found.append(f"{model.__name__}.{name}")
            models |= set(_models_in(info.annotation)) - seen
    return found


def _mentions_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    return any(_mentions_int(a) for a in typing.get_args(annotation))


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def _address(path: str, ints: dict[str, int], value: int) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(value) if name in ints else SAMPLE_TEXT.get(name, "something")

    return PATH_PARAM.sub(fill, path)


# --- ids in the path ----------------------------------------------------------------------


def test_every_integer_a_request_carries_has_an_upper_bound(app):
    assert unbounded_ints(app) == []


async def _signed_in(
    app: FastAPI, databases: Any, who: str
) -> tuple[httpx.AsyncClient, dict[str, str], str]:
    """A client signed in (cookie and bearer token) as a shopper, a merchant or a creator."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    if who == "merchant":
        account: Any = await factories.merchant(databases)
        csrf = await sign_in_merchant(client, account.email)
    elif who == "creator":
        account = await affiliate_factories.creator(databases)
        csrf = await sign_in_creator(client, account)
    else:
        account = await factories.shopper(databases, "US")
        csrf = await sign_in_shopper(client, account)
    return client, account.headers, csrf


def _who(path: str) -> str:
    if path.startswith(("/seller", "/api/v1/seller")) or path.endswith(("/end", "/answer")):
        return "merchant"
    if path.startswith(("/creator", "/api/v1/creator")):
        return "creator"
    return "shopper"


@pytest.mark.parametrize("value", [PAST_INT4, PAST_INT8, 0])
async def test_an_id_in_the_path_that_names_no_row_is_not_found(app, databases, value):
    routes = id_routes(app)
    assert len(routes) > 70  # the walk found the app's routes
    clients = {who: await _signed_in(app, databases, who) for who in _who_all()}
    answered = []
    try:
        for method, path, ints in routes:
            client, headers, csrf = clients[_who(path)]
            api = path.startswith("/api/")
            response = await client.request(
                method,
                _address(path, ints, value),
                headers=headers if api else {**BROWSER, "X-CSRF-Token": csrf},
                data=None if api or method == "GET" else {"csrf_token": csrf},
                follow_redirects=False,
            )
            # a bigint key admits 2^31: the row is missing, or the request has no body
            admitted = 1 <= value <= min(ints.values())
            if response.status_code not in ((404, 422) if admitted else (404,)):
                answered.append(f"{method} {path} -> {response.status_code}")
    finally:
        for client, _, _ in clients.values():
            await client.aclose()
    assert answered == [], "\n".join(answered)


def _who_all() -> tuple[str, ...]:
    return ("shopper", "merchant", "creator")


async def test_a_path_id_past_the_range_reads_as_nothing_here(client, databases):
    response = await client.get(f"/api/v1/products/{PAST_INT8}")

    assert error_message(response, 404, "not_found") == "There is nothing at this address."
    page = await client.get(f"/p/{PAST_INT4}", headers=BROWSER)
    assert page.status_code == 404 and "nothing at this address" in page.text


# --- ids in a query, a form or a body -------------------------------------------------------


@pytest.mark.parametrize("value", [PAST_INT4, PAST_INT8])
async def test_an_id_in_a_json_body_past_the_range_is_refused_by_name(client, databases, value):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    buyer = await factories.shopper(databases, "US")
    before = await snapshot(databases)

    response = await client.post(
        "/api/v1/cart/items",
        json={"sku": item.skus[0], "quantity": 1, "video_id": value},
        headers=buyer.headers,
    )

    message = error_message(response, 422, "invalid_input")
    assert message == "video_id: must be a whole number from 1 to 2147483647"
    assert await snapshot(databases) == before


async def test_an_id_in_the_query_past_the_range_is_refused_by_name(client, databases):
    buyer = await factories.shopper(databases, "US")
    await sign_in_shopper(client, buyer)

    response = await client.get(
        "/live/someone/drawer", params={"sku": "TEE", "deal": PAST_INT8}, headers=BROWSER
    )

    assert response.status_code == 422
    assert "deal: must be a whole number from 1 to 2147483647" in response.text


async def test_a_shop_id_header_past_the_range_is_refused(client, databases):
    shop = await factories.merchant(databases)

    response = await client.get(
        "/api/v1/seller/products", headers={**shop.headers, "X-Shop-Id": str(PAST_INT8)}
    )

    assert "x-shop-id: must be a whole number" in error_message(response, 422).lower()


# --- text no database can store -------------------------------------------------------------


async def test_a_nul_in_the_search_box_is_refused(client, databases):
    response = await client.get("/search", params={"q": "a\x00b"}, headers=BROWSER)

    assert response.status_code == 422
    assert "query parameter &#39;q&#39; contains a character that is not allowed" in (response.text)
    api = await client.get("/api/v1/products", params={"q": "a\x00b", "market": "US"})
    assert "'q' contains a character" in error_message(api, 422, "invalid_input")


async def test_a_nul_in_the_path_is_refused(client, databases):
    buyer = await factories.shopper(databases, "US")

    response = await client.delete("/api/v1/cart/items/TEE%00", headers=buyer.headers)
    page = await client.get("/c/a%00b", headers=BROWSER)

    assert "address contains a character" in error_message(response, 422, "invalid_input")
    assert page.status_code == 422


@pytest.mark.parametrize("text", ["Tee\\u0000", "Tee \\ud800", "\\udc00 Tee"])
async def test_a_nul_or_lone_surrogate_in_json_writes_nothing(client, databases, text):
    shop = await factories.merchant(databases)
    await factories.category(databases)
    body = '{"title": "' + text + '", "category": "fashion", "variants": []}'

    message = await refused_raw_json(
        client, databases, "/api/v1/seller/products", body.encode(), shop.headers
    )

    assert "JSON body contains a character" in message


async def test_an_escaped_emoji_and_an_escaped_backslash_are_fine(client, databases):
    shop = await factories.merchant(databases)
    await factories.category(databases)
    body = (
        '{"title": "Tee \\ud83d\\ude00 \\\\u0000", "category": "fashion", "variants": '
        '[{"sku": "EMO-1", "prices": [{"market": "US", "amount": "5.00", "currency": "USD"}]}]}'
    )

    response = await client.post(
        "/api/v1/seller/products",
        content=body.encode(),
        headers={**shop.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Tee \U0001f600 \\u0000"


async def test_a_nul_in_a_form_field_is_refused(client, databases):
    buyer = await factories.shopper(databases, "US")
    csrf = await sign_in_shopper(client, buyer)
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    before = await snapshot(databases)

    response = await client.post(
        "/cart/add",
        data={"sku": item.skus[0] + "\x00", "quantity": "1", "csrf_token": csrf},
        headers=BROWSER,
    )

    assert response.status_code == 422
    assert "form field &#39;sku&#39; contains a character" in response.text
    assert await snapshot(databases) == before


# --- small things a client reads ------------------------------------------------------------


async def test_a_method_not_allowed_says_which_are(client, databases):
    response = await client.delete("/api/v1/markets")

    assert error_message(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"
