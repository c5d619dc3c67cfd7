"""How requests name a market: its two-letter code, in any case."""

import re
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

# The document says what a code looks like; whether the code names a market shoptide sells
# in is the markets table's to say (operators open and close markets), answered at run time.
MARKET_CODE_PATTERN = r"^[A-Za-z]{2}$"


def _two_letters(code: str) -> str:
    if not re.fullmatch(MARKET_CODE_PATTERN, code):
        raise PydanticCustomError(
            "market_code", "A market is named by its two-letter code, such as US."
        )
    return code


MarketCode = Annotated[
    str,
    AfterValidator(_two_letters),
    WithJsonSchema({"type": "string", "pattern": MARKET_CODE_PATTERN, "examples": ["US"]}),
]
