"""Operations console (sqladmin) for operators at /admin: markets, shops, categories,
business accounts and blocked words of the global cell, and each cell's shoppers, orders
and video comments, read from that cell's own database."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqladmin import Admin, Flash, ModelView, action
from sqladmin.authentication import AuthenticationBackend, get_current_user_id
from sqladmin.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wtforms import Form, SelectField  # type: ignore[import-untyped]
from wtforms.validators import InputRequired, Length  # type: ignore[import-untyped]

from shoptide.accounts import flows as accounts_flows
from shoptide.accounts import service as accounts_service
from shoptide.accounts.models import User
from shoptide.accounts.throttle import TooManySignIns, address_of
from shoptide.catalog import service as catalog_service
from shoptide.catalog.models import Category, Product
from shoptide.content import service as content_service
from shoptide.content.models import BlockedWord, Video, VideoComment
from shoptide.errors import DomainError, NotSignedIn
from shoptide.feed.models import TrainingRun
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.orders.models import Order
from shoptide.settings import GLOBAL_CELL, Settings
from shoptide.shops.models import Shop, ShopMember
from shoptide.web.sessions import close_console, console_claim, open_console


class OperatorLogin(AuthenticationBackend):
    """The console's sign-in: a cookie of its own (web.sessions.open_console), written by
    this login page or by the site's sign-in of an operator. It never touches the site's
    session cookie, so whoever is signed in on the site in the same browser stays signed
    in. Every request checks that the account is still an active operator at the cookie's
    session version: signing out, or being made a merchant again, ends it at once."""

    templates: Jinja2Templates  # the console's pages (mount_admin hands them over)

    def __init__(self, app: FastAPI) -> None:
        # No session middleware of its own (sqladmin's default): it would replace the site's
        # session for the console's requests and write it back over the site's cookie.
        # sqladmin's flash messages ride in the site's session.
        self.middlewares = []
        self.app = app

    @property
    def _settings(self) -> Settings:
        settings: Settings = self.app.state.settings
        return settings

    async def login(self, request: Request) -> Response | bool:
        form = await request.form()
        email = str(form.get("username", ""))
        try:
            throttle = self.app.state.sign_in_throttle
            async with (
                throttle.attempt(email=email, address=address_of(request)),
                self.app.state.databases.session(GLOBAL_CELL, write=False) as session,
            ):
                user = await accounts_service.authenticate(
                    session,
                    email=email,
                    password=str(form.get("password", "")),
                    passwords=self.app.state.passwords,
                    roles=("operator",),
                )
        except NotSignedIn:
            return False
        except TooManySignIns as exc:  # the form again, saying how long to wait
            refused = await self.templates.TemplateResponse(
                request, "sqladmin/login.html", {"error": exc.message}, status_code=429
            )
            refused.headers.update(exc.headers)
            return refused
        response = RedirectResponse(str(request.url_for("admin:index")), status_code=302)
        open_console(
            response, self._settings, user_id=user.id, session_version=user.session_version
        )
        return response

    async def logout(self, request: Request) -> Response:
        """Signs the operator out everywhere, as the site's sign-out does."""
        claim = console_claim(request, self._settings)
        if claim is not None:
            user_id, version = claim
            await accounts_flows.end_sessions(
                self.app.state.databases, GLOBAL_CELL, user_id=user_id, session_version=version
            )
        response = RedirectResponse(str(request.url_for("admin:login")), status_code=302)
        close_console(response, self._settings)
        return response

    async def authenticate(self, request: Request) -> bool:
        claim = console_claim(request, self._settings)
        if claim is None:
            return False
        user_id, version = claim
        try:
            async with self.app.state.databases.session(GLOBAL_CELL, write=False) as session:
                user = await accounts_service.get_signed_in(
                    session, user_id, session_version=version
                )
        except NotSignedIn:
            return False
        return user.role == "operator"

    async def get_user_id(self, request: Request) -> int | None:
        """The operator acting (sqladmin's get_current_user_id), once authenticated."""
        claim = console_claim(request, self._settings)
        return claim[0] if claim is not None else None


class MarketAdmin(ModelView, model=Market):
    column_list = [
        Market.code,
        Market.name,
        Market.currency,
        Market.locale,
        Market.tax_rate_bp,
        Market.active,
    ]
    form_columns = [
        Market.code,
        Market.name,
        Market.currency,
        Market.locale,
        Market.tax_rate_bp,
        Market.active,
        Market.position,
        Market.timezone,
    ]
    can_delete = False
    icon = "fa-solid fa-globe"


class ShopAdmin(ModelView, model=Shop):
    column_list = [Shop.id, Shop.name, Shop.slug, Shop.home_market, Shop.is_brand, Shop.created_at]
    column_searchable_list = [Shop.name]
    form_columns = [Shop.name, Shop.slug, Shop.home_market, Shop.is_brand]
    icon = "fa-solid fa-store"


class ShopMemberAdmin(ModelView, model=ShopMember):
    column_list = [ShopMember.id, ShopMember.shop_id, ShopMember.user_id, ShopMember.role]
    name_plural = "Shop members"


class CategoryAdmin(ModelView, model=Category):
    column_list = [Category.id, Category.slug, Category.name, Category.position]
    name_plural = "Categories"


def _selected(request: Request) -> list[int]:
    """The ids of the rows an action was run on."""
    return [int(pk) for pk in request.query_params.get("pks", "").split(",") if pk.isdigit()]


def _back_to_list(request: Request, view: ModelView) -> RedirectResponse:
    return RedirectResponse(
        str(request.url_for("admin:list", identity=view.identity)), status_code=303
    )


ServiceCall = Callable[[AsyncSession, list[int]], Awaitable[object]]


async def _through_service(
    request: Request, view: ModelView, change: ServiceCall, *, done: str
) -> RedirectResponse:
    """Run a domain service on the selected rows in one unit of work (its rules and events
    apply as anywhere else); what it refuses is shown to the operator, nothing changed."""
    try:
        async with view.session_maker() as session:
            await change(session, _selected(request))
            await session.commit()
    except DomainError as exc:
        Flash.error(request, exc.message)
    else:
        Flash.success(request, done)
    return _back_to_list(request, view)


class ProductAdmin(ModelView, model=Product):
    column_list = [Product.id, Product.title, Product.shop_id, Product.status, Product.popularity]
    column_searchable_list = [Product.title]
    # the status changes through the actions below: the catalog's rules and its event apply
    form_columns = [Product.title, Product.description]
    can_create = False

    async def _set_status(self, request: Request, status: str, done: str) -> RedirectResponse:
        async def change(session: AsyncSession, ids: list[int]) -> None:
            await catalog_service.set_status_of(session, ids, status=status)

        return await _through_service(request, self, change, done=done)

    @action(name="publish", label="Publish", confirmation_message="Publish the selected products?")
    async def publish(self, request: Request) -> RedirectResponse:
        return await self._set_status(request, "published", "Published.")

    @action(
        name="unpublish",
        label="Unpublish",
        confirmation_message="Take the selected products back to draft, hidden from shoppers?",
    )
    async def unpublish(self, request: Request) -> RedirectResponse:
        return await self._set_status(request, "draft", "Back to draft: hidden from shoppers.")


class UserAdmin(ModelView, model=User):
    column_list = [
        User.id,
        User.email,
        User.display_name,
        User.role,
        User.market_code,
        User.is_active,
        User.created_at,
    ]
    column_searchable_list = [User.email, User.display_name]
    # the role changes through the actions below, which the accounts service checks
    form_columns = [User.display_name, User.is_active]
    can_create = False
    name = "Account"
    icon = "fa-solid fa-user"

    async def _set_role(self, request: Request, role: str) -> RedirectResponse:
        async def change(session: AsyncSession, ids: list[int]) -> None:
            for user_id in ids:
                await accounts_service.change_role(
                    session, user_id, role=role, acting_user_id=get_current_user_id(request)
                )

        return await _through_service(request, self, change, done=f"Now {role} accounts.")

    @action(
        name="make_operator",
        label="Make operator",
        confirmation_message="Let the selected merchants run the operations console?",
    )
    async def make_operator(self, request: Request) -> RedirectResponse:
        return await self._set_role(request, "operator")

    @action(
        name="make_merchant",
        label="Make merchant",
        confirmation_message="Take the selected operators out of the console (merchants again)?",
    )
    async def make_merchant(self, request: Request) -> RedirectResponse:
        return await self._set_role(request, "merchant")


class OrderAdmin(ModelView, model=Order):
    column_list = [
        Order.id,
        Order.market_code,
        Order.shop_id,
        Order.status,
        Order.total_minor,
        Order.currency,
        Order.created_at,
    ]
    can_create = can_edit = can_delete = False
    icon = "fa-solid fa-receipt"


class BlockedWordAdmin(ModelView, model=BlockedWord):
    column_list = [BlockedWord.market_code, BlockedWord.word, BlockedWord.created_at]
    column_searchable_list = [BlockedWord.word]
    column_sortable_list = [BlockedWord.market_code, BlockedWord.word]
    form_columns = [BlockedWord.word]  # the market is a foreign key: a select of its own below
    form_args = {
        "word": {
            "validators": [InputRequired(), Length(max=60)],
            "description": "Comments using it are refused in that market: as a whole word, "
            "in any case (anywhere in the text for Thai and other scripts written without spaces).",
        }
    }
    can_edit = False
    name = "Blocked word"
    icon = "fa-solid fa-ban"

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form = await super().scaffold_form(rules)
        async with self.session_maker() as session:
            markets = await markets_service.list(session, active_only=False)
        form.market_code = SelectField("Market", choices=[(m.code, str(m)) for m in markets])
        return form

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        data["word"] = content_service.normal_word(str(data.get("word") or ""))


class VideoCommentAdmin(ModelView, model=VideoComment):
    column_list = [
        VideoComment.id,
        VideoComment.video_id,
        VideoComment.author_name,
        VideoComment.body,
        VideoComment.status,
        VideoComment.created_at,
    ]
    column_searchable_list = [VideoComment.body, VideoComment.author_name]
    column_default_sort = [(VideoComment.id, True)]
    can_create = can_edit = can_delete = False
    name = "Video comment"
    icon = "fa-solid fa-comments"

    @action(
        name="remove",
        label="Remove",
        confirmation_message="Hide the selected comments from shoppers?",
    )
    async def remove(self, request: Request) -> RedirectResponse:
        """Through the content service, so the video's comment count follows."""
        async with self.session_maker() as session:
            for comment_id in _selected(request):
                await content_service.remove_comment(session, comment_id)
            await session.commit()
        return _back_to_list(request, self)


class VideoAdmin(ModelView, model=Video):
    column_list = [
        Video.id,
        Video.market_code,
        Video.shop_id,
        Video.caption,
        Video.status,
        Video.view_count,
        Video.like_count,
        Video.created_at,
    ]
    column_searchable_list = [Video.caption]
    column_default_sort = [(Video.id, True)]
    can_create = can_edit = can_delete = False
    name = "Video"
    icon = "fa-solid fa-film"
    media_dir: Path  # set by mount_admin: the admin app doesn't share the main app's state

    @action(
        name="take_down",
        label="Take down",
        confirmation_message="Take the selected videos down for everyone and delete their files?",
    )
    async def take_down(self, request: Request) -> RedirectResponse:
        async with self.session_maker() as session:
            videos = await content_service.take_down(session, _selected(request))
            await session.commit()
        await content_service.delete_files(self.media_dir, videos)
        return _back_to_list(request, self)


def _progress_bar(run: Any, _attribute: Any) -> Markup:
    return Markup('<progress max="100" value="{0}">{0}%</progress> {0}%').format(run.progress)


class TrainingRunAdmin(ModelView, model=TrainingRun):
    """The For You ranker's retraining: progress while it runs, then the verdict (a new
    champion, or why the current ranker stays)."""

    column_list = [
        TrainingRun.id,
        TrainingRun.started_at,
        TrainingRun.status,
        TrainingRun.progress,
        TrainingRun.message,
        TrainingRun.finished_at,
    ]
    column_details_list = [*column_list, TrainingRun.metrics, TrainingRun.model_path]
    column_formatters = {TrainingRun.progress: _progress_bar}
    column_default_sort = [(TrainingRun.id, True)]
    can_create = can_edit = can_delete = False
    name = "Feed training run"
    icon = "fa-solid fa-chart-line"


def _copy(base: type[ModelView], cell: str | None = None) -> type[ModelView]:
    """A copy of `base` for one app: sqladmin keeps a view's database on its class, so two
    apps in one process (tests, the CLI) would otherwise read each other's. With a cell, the
    copy reads that cell's database and has its own URL."""
    if cell is None:
        names = {"identity": base.identity, "name": base.name, "name_plural": base.name_plural}
    else:
        label = f"{base.name_plural} · cell {cell}"
        names = {"identity": f"{base.identity}-{cell}", "name": label, "name_plural": label}
    return type(f"{base.__name__}_{cell or GLOBAL_CELL}", (base,), names)


def mount_admin(app: FastAPI) -> None:
    databases = app.state.databases
    login = OperatorLogin(app)
    console = Admin(
        app,
        databases.engine(GLOBAL_CELL),
        base_url="/admin",
        title="Shoptide operations",
        authentication_backend=login,
    )
    login.templates = console.templates  # its login page, to refuse with a message
    for view in (
        MarketAdmin,
        ShopAdmin,
        ShopMemberAdmin,
        CategoryAdmin,
        ProductAdmin,
        UserAdmin,
        BlockedWordAdmin,
        TrainingRunAdmin,
    ):
        console.add_view(_copy(view))
    for cell in databases.each_cell():
        maker = async_sessionmaker(databases.engine(cell), expire_on_commit=False)
        for base in (UserAdmin, OrderAdmin, VideoAdmin, VideoCommentAdmin):
            cell_view = _copy(base, cell)
            console.add_view(cell_view)
            cell_view.session_maker = maker  # add_view bound it to the global cell; point it here
            if issubclass(cell_view, VideoAdmin):
                cell_view.media_dir = databases.settings.media_dir
