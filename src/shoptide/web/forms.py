"""What every page with a form shares: the typed fields, a schema's errors as a sentence a
person reads, and `submit`: run the action, on a domain error show the form again with the
message and what was typed, else flash and redirect (`refresh` is the same for an htmx
fragment, which is rendered again either way).

Route modules import these; they never import each other. The action a route passes to
`submit` is one call into a service or flow (the flow owns the unit of work), so a domain
error has rolled back everything the action wrote before the form is shown again.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from shoptide.errors import DomainError, InvalidInput, NotFound
from shoptide.money import Money, exponent
from shoptide.web.rendering import Page
from shoptide.web.text import check_fields

SchemaT = TypeVar("SchemaT", bound=BaseModel)
T = TypeVar("T")


# --- reading a form ---------------------------------------------------------------------------


async def text_fields(request: Request) -> dict[str, str]:
    """The form's text fields as typed (files and the CSRF token left out)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    check_fields(fields.items(), "form field")  # multipart forms the edge could not read
    return fields


def without(form: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """What was typed, less the fields never shown again (a password)."""
    return {k: v for k, v in form.items() if k not in names}


# --- errors as sentences ----------------------------------------------------------------------


def form_status(exc: DomainError) -> int:
    """A form naming something that doesn't exist (a category, a SKU) is a mistake in the form."""
    return 422 if isinstance(exc, NotFound) else exc.status_code


def error_status(exc: DomainError) -> int:
    """The domain error's own status (a missing order stays a 404)."""
    return exc.status_code


def problem(error: ErrorDetails) -> str:
    """What is wrong with one field, in words."""
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "is required"
    if kind == "string_too_short":
        return f"needs at least {ctx['min_length']} characters"
    if kind == "string_too_long":
        return f"can be at most {ctx['max_length']} characters"
    return str(error["msg"])


def field_message(error: ErrorDetails) -> str:
    """`Display name: is required.`: the field's name and its problem."""
    name = " ".join(str(part) for part in error["loc"]).replace("_", " ").capitalize()
    return f"{name}: {problem(error)}."


def validated(
    schema: type[SchemaT],
    data: Mapping[str, Any],
    describe: Callable[[ErrorDetails], str] = field_message,
) -> SchemaT:
    """The form's values as the API's schema, or InvalidInput with a sentence a person reads."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(describe(exc.errors()[0])) from None


# --- money typed in a form --------------------------------------------------------------------


def amount_example(currency: str) -> str:
    """An amount written the way the currency writes it, for messages."""
    return "150000" if exponent(currency) == 0 else "12.99"


def major_units(amount_minor: int, currency: str) -> str:
    """Minor units as a form shows them ("12.99")."""
    return str(Money(amount_minor, currency).to_decimal())


def amount_minor(raw: str, currency: str, *, what: str = "Amount") -> int:
    """A major-unit amount as typed ("5.00") in minor units, or a sentence saying how."""
    try:
        return Money.from_decimal(raw.strip(), currency).amount
    except (ValueError, ArithmeticError):
        raise InvalidInput(
            f"{what}: enter an amount in {currency} like {amount_example(currency)}."
        ) from None


# --- run, then redisplay or redirect ----------------------------------------------------------


class Redisplay(Protocol):
    """Renders the form's page again: with the error, its status and what was typed."""

    def __call__(
        self, *, status_code: int, error: str, form: Mapping[str, Any] | None
    ) -> Awaitable[HTMLResponse]: ...


async def submit(
    page: Page,
    action: Callable[[], Awaitable[T]],
    *,
    again: Redisplay,
    done: str | Callable[[T], str],
    to: str | Callable[[T], str],
    form: Mapping[str, Any] | None = None,
    status: Callable[[DomainError], int] = form_status,
) -> HTMLResponse | RedirectResponse:
    """Run `action` (one service or flow call that owns its unit of work). On a DomainError
    `again` renders the page with the message, `status(exc)` and `form`; otherwise flash
    `done` and redirect (303) to `to`. Both may be computed from what the action returned."""
    try:
        result = await action()
    except DomainError as exc:
        return await again(status_code=status(exc), error=exc.message, form=form)
    page.flash(done(result) if callable(done) else done)
    return RedirectResponse(to(result) if callable(to) else to, status_code=303)


async def refresh(
    action: Callable[[], Awaitable[object]],
    fragment: Callable[..., Awaitable[HTMLResponse]],
    *,
    form: Mapping[str, Any] | None = None,
) -> HTMLResponse:
    """Run `action` (one service or flow call) for an htmx fragment, then render `fragment`
    again: as it now stands, or on a DomainError with the error's status, its message and
    what was typed (`form`), for htmx to swap in."""
    try:
        await action()
    except DomainError as exc:
        typed = {} if form is None else {"form": form}
        return await fragment(status_code=exc.status_code, error=exc.message, **typed)
    return await fragment()
