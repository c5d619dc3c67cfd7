"""Text the databases can store, checked once at the edge for every route.

PostgreSQL refuses a NUL character in any text, and neither database driver can encode a
lone UTF-16 surrogate (JSON allows `"\\ud800"`): either used to reach the database and fail
there, a 500. `refuse_invalid_text` (an app-wide dependency) answers 422 instead, naming
where the character was: the path, a query parameter, a form field or the JSON body.

File parts of a multipart body are never read here; its text fields are checked when the
route has already parsed the form (FastAPI does so for `Form()` parameters) and by
`web.forms.text_fields` where a route reads the form itself.
"""

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.requests import HTTPConnection, Request

from shoptide.errors import InvalidInput

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(value: str) -> bool:
    """A NUL or a lone surrogate: text no database here can store."""
    return UNSTORABLE.search(value) is not None


def refuse(where: str) -> InvalidInput:
    return InvalidInput(
        f"{where} contains a character that is not allowed in text "
        "(a NUL character or a lone surrogate)."
    )


def check_fields(fields: Iterable[tuple[str, Any]], kind: str) -> None:
    """Raise InvalidInput naming the first text field (or name) that can't be stored."""
    for name, value in fields:
        if unstorable(name) or (isinstance(value, str) and unstorable(value)):
            raise refuse(f"The {kind} {name!r}")


def _json_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _json_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _json_strings(value)


def _check_json(body: bytes) -> None:
    if b"\\u" not in body:  # NUL and surrogates only arrive in JSON as \u escapes
        return
    try:
        document = json.loads(body)
    except ValueError:
        return  # FastAPI answers malformed JSON in words of its own
    if any(unstorable(text) for text in _json_strings(document)):
        raise refuse("The JSON body")


async def _check_body(request: Request) -> None:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if isinstance(request._form, FormData):  # parsed for the route's Form() parameters
        check_fields(request._form.multi_items(), "form field")
    elif kind == "application/json" or kind.endswith("+json"):
        _check_json(await request.body())
    elif kind == "application/x-www-form-urlencoded":
        fields = parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True)
        check_fields(fields, "form field")


async def refuse_invalid_text(connection: HTTPConnection) -> None:
    """App-wide dependency: 422 for a NUL or lone surrogate anywhere in the request's text."""
    if unstorable(connection.scope.get("path", "")):
        raise refuse("The address")
    check_fields(connection.query_params.multi_items(), "query parameter")
    if isinstance(connection, Request) and connection.method not in ("GET", "HEAD"):
        await _check_body(connection)
