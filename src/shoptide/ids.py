"""Ids as the edge accepts them: a whole number from 1 to the largest its column holds.

Without the bound an id past the column's range reaches the database and fails there
(SQLite refuses integers past 2^63 - 1, PostgreSQL's `integer` past 2^31 - 1): a 500 for
anyone who types a long number. `Id` is for rows of `integer` key columns, `BigId` for the
`bigint` ones (orders, their lines, comments: tables that grow past 2^31).

The rule, everywhere: an id in the path that cannot name a row is a 404 (there is nothing at
that address); an id in a query, a form or a JSON body is a 422 naming the field.
"""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1
INVALID_ID = "invalid_id"


def _within(maximum: int) -> WrapValidator:
    """One error, in words, for anything that is not an id (text, 0, a number too long)."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> int:
        try:
            return int(handler(value))
        except ValidationError:
            raise PydanticCustomError(
                INVALID_ID,
                "must be a whole number from 1 to {maximum}",
                {"maximum": maximum},
            ) from None

    return WrapValidator(validate)


Id = Annotated[int, Field(ge=1, le=INT4_MAX), _within(INT4_MAX)]
BigId = Annotated[int, Field(ge=1, le=INT8_MAX), _within(INT8_MAX)]


def names_nothing(errors: Sequence[Mapping[str, Any]]) -> bool:
    """Whether one of a request's validation errors is an id in its path: the address names
    no row, whatever else is wrong with the request."""
    return any(
        e.get("type") == INVALID_ID and tuple(e.get("loc", ()))[:1] == ("path",) for e in errors
    )
