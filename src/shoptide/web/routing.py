"""Assembling the route modules into the app's routers.

Every route is authenticated unless it is public by name (Dispatch's pattern): a route
module puts what visitors may open on `public_router`, everything else on `router`, which is
mounted under a parent that needs a signed-in user."""

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from fastapi import APIRouter, Depends

from shoptide.deps import current_user


def assemble(modules: Iterable[ModuleType], **options: Any) -> APIRouter:
    """One router over the modules' routers: their public routes first, in the modules'
    order, then the rest behind sign-in."""
    assembled = APIRouter(**options)
    private = APIRouter(dependencies=[Depends(current_user)])
    for module in modules:
        if (public := getattr(module, "public_router", None)) is not None:
            assembled.include_router(public)
        if (router := getattr(module, "router", None)) is not None:
            private.include_router(router)
    assembled.include_router(private)
    return assembled
