"""Joining as a creator (public): a creator account and profile, then signed in."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.creators import flows
from shoptide.deps import CsrfChecked, DatabasesDep
from shoptide.settings import GLOBAL_CELL
from shoptide.web.forms import error_status, submit
from shoptide.web.rendering import PageDep
from shoptide.web.sessions import sign_in

public_router = APIRouter()


@public_router.get("/creators/join", response_class=HTMLResponse)
async def join_form(page: PageDep) -> HTMLResponse:
    return page.render("creator/join.html", form={"market": page.market.code})


@public_router.post("/creators/join", dependencies=[CsrfChecked], response_model=None)
async def join(
    request: Request,
    page: PageDep,
    databases: DatabasesDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    display_name: Annotated[str, Form(max_length=120)],
    handle: Annotated[str, Form(max_length=40)],
    market: Annotated[str, Form(max_length=2)],
) -> HTMLResponse | RedirectResponse:
    """A creator account and profile in one global transaction, then signed in."""

    async def action() -> str:
        creator = await flows.join(
            databases,
            email=email,
            password=password,
            display_name=display_name,
            handle=handle,
            market_code=market,
            passwords=request.app.state.passwords,
        )
        sign_in(request, creator.user_id, GLOBAL_CELL)
        request.session["market"] = creator.market_code
        return f"Welcome, @{creator.handle}! Add products to your showcase to start earning."

    async def again(
        *, status_code: int, error: str, form: Mapping[str, Any] | None
    ) -> HTMLResponse:
        return page.render("creator/join.html", status_code=status_code, error=error, form=form)

    typed = {"email": email, "display_name": display_name, "handle": handle, "market": market}
    return await submit(
        page,
        action,
        again=again,
        done=lambda welcome: welcome,
        to="/creator",
        form=typed,
        status=error_status,
    )
