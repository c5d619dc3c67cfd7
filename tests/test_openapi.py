"""The published API description: served, well formed OpenAPI 3.1, says how to authenticate,
covers the shopping paths, and tells the truth about what a response looks like."""

import copy
import re
from typing import Any

import pytest

from tests import factories

try:  # a full validator when installed; otherwise the structural checks below stand alone
    from openapi_spec_validator import validate as validate_spec
except ImportError:  # pragma: no cover - depends on the environment
    validate_spec = None

METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
SHOPPING_PATHS = {
    ("get", "/api/v1/categories"),
    ("get", "/api/v1/products"),
    ("get", "/api/v1/products/{product_id}"),
    ("get", "/api/v1/cart"),
    ("post", "/api/v1/cart/items"),
    ("put", "/api/v1/cart/items/{sku}"),
    ("delete", "/api/v1/cart/items/{sku}"),
    ("post", "/api/v1/checkout"),
    ("get", "/api/v1/orders"),
    ("get", "/api/v1/orders/{order_id}"),
}
PROTECTED_PATHS = {
    ("get", "/api/v1/me"),
    ("get", "/api/v1/cart"),
    ("post", "/api/v1/cart/items"),
    ("post", "/api/v1/checkout"),
    ("get", "/api/v1/orders"),
    ("get", "/api/v1/orders/{order_id}"),
    ("get", "/api/v1/seller/products"),
    ("post", "/api/v1/seller/products"),
    ("post", "/api/v1/seller/orders/{order_market}/{order_id}/ship"),
}
PUBLIC_PATHS = {
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/register"),
    ("get", "/api/v1/markets"),
    ("get", "/api/v1/categories"),
}


@pytest.fixture
async def spec(client) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def resolve(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/"), f"external $ref {ref}"
    node: Any = spec
    for part in ref[2:].split("/"):
        assert part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def violations(
    spec: dict[str, Any], schema: dict[str, Any], value: Any, at: str = "$"
) -> list[str]:
    """The subset of JSON Schema that FastAPI emits: $ref, type, anyOf/oneOf/allOf, enum,
    properties, required, additionalProperties, items, const."""
    if "$ref" in schema:
        return violations(spec, resolve(spec, schema["$ref"]), value, at)
    problems: list[str] = []
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema["oneOf"]
        if all(violations(spec, option, value, at) for option in options):
            problems.append(f"{at}: {value!r} matches none of {options}")
    for part in schema.get("allOf", []):
        problems += violations(spec, part, value, at)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(
            isinstance(value, JSON_TYPES[t]) and (t == "boolean" or not isinstance(value, bool))
            for t in types
        )
        if not ok:
            return [*problems, f"{at}: {value!r} is not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        problems.append(f"{at}: {value!r} is not {schema['const']!r}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        problems += [f"{at}: missing {k!r}" for k in schema.get("required", []) if k not in value]
        for key, item in value.items():
            if key in properties:
                problems += violations(spec, properties[key], item, f"{at}.{key}")
            elif schema.get("additionalProperties") is False:
                problems.append(f"{at}: undocumented field {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += violations(spec, schema["additionalProperties"], item, f"{at}.{key}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems += violations(spec, schema["items"], item, f"{at}[{i}]")
    return problems


def strict(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of the document in which no object may carry an undocumented field."""
    closed = copy.deepcopy(spec)
    for schema in closed["components"]["schemas"].values():
        if schema.get("type") == "object" and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    return closed


def response_schema(spec: dict[str, Any], method: str, path: str, status: str) -> dict[str, Any]:
    op = spec["paths"][path][method]
    return op["responses"][status]["content"]["application/json"]["schema"]


# --- the document -----------------------------------------------------------------------------


async def test_openapi_document_is_valid_openapi_3_1(spec):
    if validate_spec is not None:
        validate_spec(spec)
    assert re.fullmatch(r"3\.1\.\d+", spec["openapi"])
    assert spec["info"]["title"] == "Shoptide" and spec["info"]["version"]
    ops = operations(spec)
    assert ops, "no operations documented"
    ids = [op["operationId"] for op in ops.values()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    for (method, path), op in ops.items():
        assert path.startswith("/api/v1/"), f"{path} is not an API path"
        assert op["responses"], f"{method} {path} documents no response"
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), f"{method} {path} path params"
    for ref in refs(spec):
        resolve(spec, ref)


async def test_openapi_covers_catalog_cart_checkout_and_orders(spec):
    documented = set(operations(spec))

    assert documented >= SHOPPING_PATHS, SHOPPING_PATHS - documented
    checkout = spec["paths"]["/api/v1/checkout"]["post"]
    assert {"201", "402", "409", "422"} <= set(checkout["responses"])
    headers = {p["name"].lower() for p in checkout["parameters"] if p["in"] == "header"}
    assert "idempotency-key" in headers
    assert not any(path.startswith(("/cart", "/signin", "/admin")) for path in spec["paths"])


async def test_openapi_documents_bearer_auth_on_protected_routes(spec):
    schemes = spec["components"].get("securitySchemes", {})
    bearer = [n for n, s in schemes.items() if (s["type"], s.get("scheme")) == ("http", "bearer")]
    assert len(bearer) == 1, schemes
    ops = operations(spec)

    for key in PROTECTED_PATHS:
        assert {bearer[0]: []} in ops[key].get("security", []), f"{key} says nothing of auth"
    for key in PUBLIC_PATHS:
        assert "security" not in ops[key], f"{key} is public"
    for key in [("get", "/api/v1/products"), ("get", "/api/v1/products/{product_id}")]:
        # public, but a shopper's token picks their market: the token is optional
        assert ops[key]["security"] == [{bearer[0]: []}, {}], key


# --- responses match what is documented ----------------------------------------------------------


async def test_product_listing_matches_its_documented_schema(client, databases, spec):
    shop = await factories.merchant(databases)
    await factories.product(databases, shop, prices={"US": 1999, "ID": 150000}, variants=2)
    await factories.product(databases, shop, prices={"US": 500})
    await factories.product(databases, shop, publish=False)  # drafts are not listed
    schema = response_schema(spec, "get", "/api/v1/products", "200")
    assert schema == {"$ref": "#/components/schemas/ProductPage"}

    response = await client.get("/api/v1/products", params={"market": "US"})

    assert response.status_code == 200
    body = response.json()
    assert len(body["items"]) == 2 and body["total"] == 2
    assert violations(strict(spec), schema, body) == []
    # the check has teeth: a field renamed or retyped does not pass
    broken = {**body, "items": [{**body["items"][0], "price_from": 19.99}]}
    assert violations(spec, schema, broken)
    assert violations(spec, schema, {k: v for k, v in body.items() if k != "total"})


async def test_order_read_matches_its_documented_schema(client, databases, spec):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 3})
    buyer = await factories.shopper(databases, "US")
    placed = await factories.buy(client, buyer, item.skus[0])
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["orders"][0]["id"]
    schema = response_schema(spec, "get", "/api/v1/orders/{order_id}", "200")

    response = await client.get(f"/api/v1/orders/{order_id}", headers=buyer.headers)

    assert response.status_code == 200
    assert violations(strict(spec), schema, response.json()) == []
    checkout_schema = response_schema(spec, "post", "/api/v1/checkout", "201")
    assert violations(strict(spec), checkout_schema, placed.json()) == []


# --- the error answers ---------------------------------------------------------------------------


def _api_routes(app) -> list[tuple[str, str, set]]:
    """(method, path, the callables of its dependencies) for every API route of the app."""
    from fastapi.routing import APIRoute, iter_route_contexts

    def calls(dependant) -> set:
        return {dependant.call} | {c for d in dependant.dependencies for c in calls(d)}

    found = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.path_format.startswith("/api/"):
            found += [(m.lower(), route.path_format, calls(route.dependant)) for m in route.methods]
    return found


async def test_every_signed_in_route_documents_401_and_every_path_id_404(app, spec):
    from shoptide.deps import current_user

    ops = operations(spec)
    routes = _api_routes(app)
    signed_in = [(m, p) for m, p, calls in routes if current_user in calls]
    assert len(signed_in) > 50 and ("get", "/api/v1/me") in signed_in

    for method, path in signed_in:
        assert "401" in ops[method, path]["responses"], f"{method} {path}: no 401"
    for method, path, _ in routes:
        if "{" in path:
            assert "404" in ops[method, path]["responses"], f"{method} {path}: no 404"
    for method, path in [
        ("get", "/api/v1/seller/products"),
        ("post", "/api/v1/cart/items"),
        ("get", "/api/v1/creator/earnings"),
    ]:
        assert "403" in ops[method, path]["responses"], f"{method} {path}: role not documented"
    for method, path in [
        ("post", "/api/v1/seller/orders/{order_market}/{order_id}/ship"),
        ("post", "/api/v1/seller/affiliate/invitations"),
    ]:
        assert {"404", "409"} <= set(ops[method, path]["responses"]), f"{method} {path}"


async def test_documented_errors_have_the_body_the_app_answers_with(client, databases, spec):
    shopper = await factories.shopper(databases, "US")
    answers = {
        ("get", "/api/v1/me", "401"): await client.get("/api/v1/me"),
        ("get", "/api/v1/seller/products", "403"): await client.get(
            "/api/v1/seller/products", headers=shopper.headers
        ),
        ("get", "/api/v1/orders/{order_id}", "404"): await client.get(
            "/api/v1/orders/424242", headers=shopper.headers
        ),
        ("post", "/api/v1/cart/items", "422"): await client.post(
            "/api/v1/cart/items", json={"sku": "", "quantity": 0}, headers=shopper.headers
        ),
    }

    for (method, path, status), answer in answers.items():
        assert str(answer.status_code) == status, (path, answer.text)
        schema = response_schema(spec, method, path, status)
        assert violations(strict(spec), schema, answer.json()) == [], (path, answer.json())
    # the check has teeth: FastAPI's own 422 body ({"detail": [...]}) is not documented
    schema = response_schema(spec, "post", "/api/v1/cart/items", "422")
    assert violations(strict(spec), schema, {"detail": [{"loc": ["body"], "msg": "x"}]})


async def test_the_public_comments_route_documents_the_token_as_optional(client, databases, spec):
    comments = operations(spec)["get", "/api/v1/videos/{market}/{video_id}/comments"]

    assert {} in comments["security"], "the public comments need no token"
    answer = await client.get("/api/v1/videos/US/1/comments")  # no token: not a 401
    assert answer.status_code == 404 and "401" in comments["responses"]
