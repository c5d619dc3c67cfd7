from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.accounts import flows, notifications
from shoptide.accounts.throttle import TooManySignIns, address_of
from shoptide.deps import (
    CellRead,
    CellWrite,
    CsrfChecked,
    CurrentShopper,
    DatabasesDep,
)
from shoptide.errors import DomainError
from shoptide.web.rendering import PageDep
from shoptide.web.sessions import open_console, sign_in, sign_in_shopper, sign_out

public_router = APIRouter()
router = APIRouter()  # signed-in shoppers

HOME_OF_ROLE = {"merchant": "/seller", "creator": "/creator", "operator": "/admin"}


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@public_router.get("/signin", response_class=HTMLResponse)
async def signin_form(page: PageDep, next: str = "/") -> HTMLResponse:
    return page.render("accounts/signin.html", next=_safe_next(next))


@public_router.post("/signin", dependencies=[CsrfChecked], response_model=None)
async def signin(
    request: Request,
    page: PageDep,
    databases: DatabasesDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    account: Annotated[str, Form(pattern="^(shopper|business|creator)$")] = "shopper",
    next: Annotated[str, Form()] = "/",
) -> HTMLResponse | RedirectResponse:
    """Shoppers are looked up in the picked market's cell first, then the others, and the
    page switches to their market; merchants, creators and operators live in the global
    cell."""
    try:
        throttle = request.app.state.sign_in_throttle
        async with throttle.attempt(email=email, address=address_of(request)):
            user, cell = await flows.sign_in(
                databases,
                account=account,
                market_code=page.market.code,
                email=email,
                password=password,
                passwords=request.app.state.passwords,
            )
    except DomainError as exc:
        refused = page.render(
            "accounts/signin.html",
            status_code=429 if isinstance(exc, TooManySignIns) else 400,
            error=exc.message,
            email=email,
            account=account,
            next=_safe_next(next),
        )
        refused.headers.update(exc.headers)
        return refused
    if user.role == "shopper":
        await sign_in_shopper(request, user.id, cell, session_version=user.session_version)
    else:
        sign_in(request, user.id, cell, session_version=user.session_version)
    if user.market_code:
        request.session["market"] = user.market_code
    default = HOME_OF_ROLE.get(user.role, "/")
    response = RedirectResponse(_safe_next(next) if next != "/" else default, status_code=303)
    if user.role == "operator":  # one sign-in for the site and the console
        open_console(
            response,
            request.app.state.settings,
            user_id=user.id,
            session_version=user.session_version,
        )
    return response


@public_router.get("/signup", response_class=HTMLResponse)
async def signup_form(page: PageDep) -> HTMLResponse:
    return page.render("accounts/signup.html")


@public_router.post("/signup", dependencies=[CsrfChecked], response_model=None)
async def signup(
    request: Request,
    page: PageDep,
    databases: DatabasesDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    display_name: Annotated[str, Form(max_length=120)],
) -> HTMLResponse | RedirectResponse:
    try:
        user, cell = await flows.sign_up_shopper(
            databases,
            market_code=page.market.code,
            email=email,
            password=password,
            display_name=display_name,
            passwords=request.app.state.passwords,
        )
    except DomainError as exc:
        return page.render(
            "accounts/signup.html",
            status_code=400,
            error=exc.message,
            email=email,
            display_name=display_name,
        )
    await sign_in_shopper(request, user.id, cell)
    page.flash(page.gettext("Welcome to Shoptide, %(name)s!", name=user.display_name))
    return RedirectResponse("/", status_code=303)


@public_router.post("/signout", dependencies=[CsrfChecked])
async def signout(request: Request) -> RedirectResponse:
    """Signs out everywhere: a copy of this browser's cookie stops working too."""
    await sign_out(request)
    return RedirectResponse("/", status_code=303)


# --- the shopper's inbox ------------------------------------------------------------------


@router.get("/notifications", response_class=HTMLResponse)
async def inbox(page: PageDep, shopper: CurrentShopper, cell: CellRead) -> HTMLResponse:
    items = await notifications.inbox(cell, user_id=shopper.user_id)
    return page.render("accounts/notifications.html", notifications=items)


@router.get("/notifications/unread", response_class=HTMLResponse)
async def unread_badge(page: PageDep, shopper: CurrentShopper, cell: CellRead) -> HTMLResponse:
    """The header's unread count, loaded by htmx after the page (no query on every page)."""
    count = await notifications.unread_count(cell, user_id=shopper.user_id)
    return page.render("accounts/_unread.html", count=count)


@router.post("/notifications/read", dependencies=[CsrfChecked])
async def mark_read(shopper: CurrentShopper, cell: CellWrite) -> RedirectResponse:
    await notifications.mark_all_read(cell, user_id=shopper.user_id)
    return RedirectResponse("/notifications", status_code=303)
