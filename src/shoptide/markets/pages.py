from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from shoptide.deps import CsrfChecked, GlobalRead
from shoptide.markets import service

public_router = APIRouter()


@public_router.post("/market", dependencies=[CsrfChecked])
async def choose_market(
    request: Request, market: Annotated[str, Form()], session: GlobalRead
) -> RedirectResponse:
    chosen = await service.get(session, market)
    request.session["market"] = chosen.code
    back = request.headers.get("referer", "/")
    return RedirectResponse(
        back if back.startswith(str(request.base_url)) else "/", status_code=303
    )
