"""Guards that keep the house's shape: every route is authenticated unless it is public by
name, and route modules never open a unit of work of their own (services and flows own the
transactions). The import rules between domains are import-linter contracts in
pyproject.toml, checked by `make lint`."""

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute, APIWebSocketRoute, BaseRoute, _iter_routes_with_context

import shoptide

PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def _modules() -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(shoptide.__path__, "shoptide."):
        yield importlib.import_module(info.name)


def _route_modules() -> list[ModuleType]:
    """Modules that define a router of their own: the request edge."""
    return [
        module
        for module in _modules()
        if any(
            isinstance(value, APIRouter) and _defined_in(module, name)
            for name, value in vars(module).items()
        )
    ]


def _defined_in(module: ModuleType, name: str) -> bool:
    """`name` is assigned in the module itself, not imported into it."""
    tree = ast.parse(inspect.getsource(module))
    return any(
        isinstance(node, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(target, ast.Name) and target.id == name
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
        for node in tree.body
    )


def _public_endpoints() -> set[Callable[..., Any]]:
    """Routes are public only by name: those on a router called `public_router`."""
    return {
        route.endpoint
        for module in _route_modules()
        if isinstance(getattr(module, "public_router", None), APIRouter)
        for route in module.public_router.routes
        if isinstance(route, APIRoute | APIWebSocketRoute)
    }


def _app_routes(app: Any) -> list[tuple[BaseRoute, str]]:
    """Every route with the full path the app serves it at (FastAPI keeps included routers
    nested and resolves them lazily). FastAPI's own /docs and /openapi.json are plain
    `Route`s, public by design; /static and /media are mounts of public files."""
    return [
        (route, context.path if context else getattr(route, "path", ""))
        for route, context in _iter_routes_with_context(app.routes)
    ]


def _sample_path(path: str) -> str:
    return PATH_PARAM.sub(lambda m: "US" if m.group(1) == "market" else "1", path)


def _private_routes(app: Any) -> list[tuple[str, str]]:
    public = _public_endpoints()
    return [
        (method, _sample_path(path))
        for route, path in _app_routes(app)
        if isinstance(route, APIRoute) and route.endpoint not in public
        for method in sorted(route.methods - {"HEAD"})
    ]


def _refuses_a_visitor(response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 303 and response.headers["location"].startswith("/signin")


async def test_every_route_not_public_by_name_refuses_a_visitor(app, client):
    private = _private_routes(app)
    assert len(private) > 100  # the walk found the app's routes

    answered = []
    for method, path in private:
        response = await client.request(method, path, follow_redirects=False)
        if not _refuses_a_visitor(response):
            answered.append(f"{method} {path} -> {response.status_code}")
    assert answered == [], "answer a visitor without authentication:\n" + "\n".join(answered)


def test_websocket_routes_are_public_by_name_and_check_who_is_asking_themselves(app):
    public = _public_endpoints()
    sockets = [(r, path) for r, path in _app_routes(app) if isinstance(r, APIWebSocketRoute)]
    assert sockets
    assert [path for route, path in sockets if route.endpoint not in public] == []


async def test_the_operations_console_asks_a_visitor_to_sign_in(client):
    response = await client.get("/admin/", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert "/admin/login" in response.headers["location"]


# --- route modules open no unit of work -------------------------------------------------

SESSION_OPENERS = {"session", "async_sessionmaker", "AsyncSession", "sessionmaker"}


def sessions_opened(source: str) -> list[int]:
    """Lines that open a database session: `databases.session(...)`, a sessionmaker, or an
    AsyncSession built by hand."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in SESSION_OPENERS:
            lines.append(node.lineno)
    return lines


def test_the_session_detector_sees_units_of_work_and_not_the_signed_cookie():
    source = (
        "async def route(request, databases):\n"
        "    uid = request.session.get('uid')\n"
        "    request.session['cell'] = 'main'\n"
        "    async with databases.session('main') as session:\n"
        "        maker = async_sessionmaker(engine)\n"
    )
    assert sessions_opened(source) == [4, 5]


def test_no_route_module_opens_a_database_session():
    modules = _route_modules()
    assert len(modules) > 20
    offenders = {
        module.__name__: found
        for module in modules
        if (found := sessions_opened(inspect.getsource(module)))
    }
    assert offenders == {}, "route modules must take sessions from deps or call a flow"
