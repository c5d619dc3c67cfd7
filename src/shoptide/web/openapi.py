"""The error answers in the OpenAPI document: one body, documented where a route can give it.

Every JSON error has the body of app.py's handlers, `{"error": {"code", "message",
"details"}}`. What a route can answer follows from its dependencies, so it is worked out
from them rather than written on each route:

- 401 where the route reads the bearer token: an unknown, expired or revoked token is
  refused even where the token is optional;
- 403 where a dependency requires a role (`ROLE_CHECKS`);
- 404 where the path names something (a malformed or out-of-range id is a 404 too), or the
  request picks a market (X-Market: a market shoptide does not sell in is not there);
- 404 and 409 on a signed-in write: what it names may be gone, or in a state that refuses
  the change (a shipped order, a taken name, stock sold meanwhile);
- 422 where the route takes any input.

What only a route's service knows (a conflict on a public write, a rate limit) the route says
in its `responses`, with `errors(409)` or its own description: every 4xx among them gets
the error body too. Public routes that read the token when there is one document it as
optional."""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute

from shoptide.creators.deps import current_creator
from shoptide.deps import (
    current_market,
    current_seat,
    current_shopper,
    current_user,
    optional_user,
)

STANDARD_ERRORS: dict[int, str] = {
    400: "The request could not be read",
    401: "Not signed in: no bearer token, or it is unknown, expired or revoked",
    403: "Your account may not do this (another role, or not a member of that shop)",
    404: "Nothing of this id (or market) here, or not visible to you",
    409: "Refused: this conflicts with the current state",
    413: "The request body is too large",
    422: "The input is not valid: `message` says why, `details` which field",
    429: "Too many at once: wait as long as the Retry-After header says and try again",
}
# The dependencies that refuse an account of the wrong role (NotAllowed): their routes
# answer 403. A new role check is added here.
ROLE_CHECKS: set[Callable[..., Any]] = {current_shopper, current_seat, current_creator}
READS_TOKEN: set[Callable[..., Any]] = {optional_user}
SIGNED_IN: set[Callable[..., Any]] = {current_user}
PICKS_MARKET: set[Callable[..., Any]] = {current_market}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

ERROR_SCHEMA = "ErrorRead"
_STALE_SCHEMAS = ("HTTPValidationError", "ValidationError")  # FastAPI's 422, not ours


class ErrorDetailRead(BaseModel):
    loc: list[str | int] = Field(description="Where: body, query, path or header, then names")
    msg: str


class ErrorBodyRead(BaseModel):
    code: str = Field(examples=["not_found"], description="Stable, for programs")
    message: str = Field(description="For people: what is wrong and what to do")
    details: list[ErrorDetailRead] | None = Field(
        default=None, description="With invalid input (422): one entry per invalid field"
    )


class ErrorRead(BaseModel):
    error: ErrorBodyRead


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses` for a route that can answer these statuses (standard descriptions)."""
    return {status: {"description": STANDARD_ERRORS[status]} for status in statuses}


def install(app: FastAPI) -> None:
    """Make the app's OpenAPI document carry the error answers of its routes."""
    generate = app.openapi
    documented: list[int] = []  # the id of the document last completed

    def openapi() -> dict[str, Any]:
        spec = generate()  # FastAPI's, cached until the routes change
        if documented != [id(spec)]:
            document_errors(spec, app.routes)
            documented[:] = [id(spec)]
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def document_errors(spec: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Add the error answers each route can give to `spec`, with the error body."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in _STALE_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(_error_schemas())
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        statuses = inferred_errors(route)
        for method in route.methods or ():
            operation = spec["paths"].get(route.path_format or "", {}).get(method.lower())
            if operation is not None:
                _document(operation, statuses, optional_token=_token_is_optional(route))
                _optional_headers_absent_not_null(operation)


def inferred_errors(route: RouteContext) -> set[int]:
    """The error statuses a route can answer, from its dependencies and parameters."""
    dependants = list(_dependants(route.dependant))
    calls = {d.call for d in dependants}
    statuses = set()
    if calls & (READS_TOKEN | SIGNED_IN):
        statuses.add(401)
    if calls & ROLE_CHECKS:
        statuses.add(403)
    if any(d.path_params for d in dependants) or calls & PICKS_MARKET:
        statuses.add(404)
    if calls & SIGNED_IN and (route.methods or set()) & WRITES:
        statuses |= {404, 409}  # what it names may be gone, or in a state refusing the change
    if any(_takes_input(d) for d in dependants):
        statuses.add(422)
    return statuses


def _takes_input(dependant: Dependant) -> bool:
    return bool(
        dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
    )


def _token_is_optional(route: RouteContext) -> bool:
    calls = {d.call for d in _dependants(route.dependant)}
    return bool(calls & READS_TOKEN) and not calls & SIGNED_IN


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    """The route's own dependant and every dependency under it."""
    yield dependant
    for dependency in dependant.dependencies:
        yield from _dependants(dependency)


def _document(operation: dict[str, Any], statuses: set[int], *, optional_token: bool) -> None:
    responses = operation["responses"]
    for status in sorted(statuses):
        responses.setdefault(str(status), {"description": STANDARD_ERRORS[status]})
    for status, response in responses.items():
        if not status.isdigit() or int(status) not in STANDARD_ERRORS:
            continue  # e.g. a declined payment's 402 has a body of its own
        if _is_fastapi_validation_error(response):
            response.clear()
            response["description"] = STANDARD_ERRORS[422]
        response.setdefault(
            "content", {"application/json": {"schema": {"$ref": _ref(ERROR_SCHEMA)}}}
        )
    if optional_token and {} not in operation.get("security", [{}]):
        operation["security"].append({})  # public: the token only picks the shopper's market


def _optional_headers_absent_not_null(operation: dict[str, Any]) -> None:
    """An optional header (`X-Market: str | None = None`) is left out, never null: drop the
    null branch pydantic gives its schema, or clients (and Schemathesis) send "null"."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") != "header" or parameter.get("required") or "anyOf" not in schema:
            continue
        kept = [branch for branch in schema["anyOf"] if branch.get("type") != "null"]
        if len(kept) == 1:
            del schema["anyOf"]
            schema.update(kept[0])


def _is_fastapi_validation_error(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref") == _ref("HTTPValidationError")


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def _error_schemas() -> dict[str, Any]:
    _, document = models_json_schema(
        [(ErrorRead, "serialization")], ref_template="#/components/schemas/{model}"
    )
    return document["$defs"]
