"""Names and titles people type: trimmed, and never blank.

A title of spaces used to be stored as an empty string: a product, a shop or a person with no
name on every page that shows it. `Title` and `PersonName` trim the text and refuse what is
left empty with a 422 in words; their JSON schema says so (a `pattern`), so clients know
before they ask.
"""

from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

BLANK = "blank"
# Blank means only characters that Python's str.strip() or a JSON Schema (ECMAScript) `\s`
# takes for space: the two differ (\x1c-\x1f and \x85 for Python, \ufeff for ECMAScript),
# and the server and the documented pattern must agree on what is blank.
SPACE = "\ufeff"  # what ECMAScript's \s has beyond Python's whitespace
NOT_BLANK_PATTERN = r"[^\s\x1c-\x1f\x85]"  # ECMAScript \s plus what Python adds to it


def _trimmed_not_blank(value: Any) -> Any:
    """Before the length checks, so they count what is stored."""
    if not isinstance(value, str):
        return value  # not text: the str schema says so
    if not (trimmed := value.strip().strip(SPACE).strip()):
        raise PydanticCustomError(BLANK, "must not be empty or only spaces")
    return trimmed


# The length first: pydantic checks constraints that follow a validator only after it, in
# vaguer words ("at most 200 items after validation").
_NOT_BLANK = BeforeValidator(_trimmed_not_blank)
_SAYS_NOT_BLANK = Field(json_schema_extra={"pattern": NOT_BLANK_PATTERN})

Title = Annotated[str, Field(max_length=200), _NOT_BLANK, _SAYS_NOT_BLANK]  # products
PersonName = Annotated[str, Field(max_length=120), _NOT_BLANK, _SAYS_NOT_BLANK]  # people, shops
