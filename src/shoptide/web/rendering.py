"""Templates and the context every page shares (who, which market, CSRF token)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.support import NullTranslations
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from shoptide import i18n
from shoptide.accounts.service import Principal
from shoptide.deps import CurrentMarket, DatabasesDep, OptionalUser, csrf_token
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.money import Money, format_money
from shoptide.settings import GLOBAL_CELL

PACKAGE_DIR = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [
    PACKAGE_DIR / "web" / "templates",
    *sorted(p for p in PACKAGE_DIR.glob("*/templates") if p.parent.name != "web"),
]


# Seller Center and Creator Center are business tools and stay in English in this pass
# (their templates and the operations console carry no translation markers); shopper pages
# speak the market's language. Templates whose name starts with one of these render in the
# source language.
ENGLISH_ONLY_TEMPLATES = ("seller/", "creator/")
SOURCE_LOCALE = "en"


def locale_for(template: str, market: Market | None) -> str:
    """The locale a page is written in: the market's, except for the merchants' pages."""
    if market is None or template.startswith(ENGLISH_ONLY_TEMPLATES):
        return SOURCE_LOCALE
    return market.locale


def _catalog(context: Context) -> NullTranslations:
    return i18n.translations(context.get("locale") or SOURCE_LOCALE)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _catalog(context).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _catalog(context).ngettext(singular, plural, n)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIRS),
        autoescape=select_autoescape(),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # one shared environment; each render reads its catalog from the context's `locale`
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


templates = Jinja2Templates(env=_environment())


@dataclass
class Page:
    request: Request
    user: Principal | None
    market: Market
    markets: list[Market]

    def money(self, amount_minor: int | Money, currency: str | None = None) -> str:
        money = (
            amount_minor if isinstance(amount_minor, Money) else Money(amount_minor, currency or "")
        )
        return format_money(money, self.market.locale)

    def when(self, moment: Any) -> str:
        return format_datetime(
            moment, "medium", tzinfo=ZoneInfo(self.market.timezone), locale=self.market.locale
        )

    @property
    def translations(self) -> NullTranslations:
        """The shopper's language, for messages written in Python (flash, headings)."""
        return i18n.translations(self.market.locale)

    def gettext(self, message: str, **variables: Any) -> str:
        translated = self.translations.gettext(message)
        return translated % variables if variables else translated

    def render(self, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        base = {
            "page": self,
            "locale": locale_for(name, self.market),
            "user": self.user,
            "market": self.market,
            "markets": self.markets,
            "csrf_token": csrf_token(self.request),
            "flash": self.request.session.pop("flash", None),
        }
        return templates.TemplateResponse(
            self.request, name, {**base, **context}, status_code=status_code
        )

    def flash(self, message: str) -> None:
        self.request.session["flash"] = message


async def page(
    request: Request, user: OptionalUser, market: CurrentMarket, databases: DatabasesDep
) -> Page:
    async with databases.session(GLOBAL_CELL, write=False) as session:  # held no longer
        markets = list(await markets_service.list(session))
    return Page(request, user, market, markets)


PageDep = Annotated[Page, Depends(page)]
