from datetime import datetime
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from shoptide.markets.schemas import MarketCode
from shoptide.names import PersonName


def _account_email(value: str) -> str:
    """An address's syntax, as the sign-in form takes it. The address names an account we
    already hold, not one to mail: the reserved `.test` names (the demo's accounts) are
    fine here, and nothing is looked up in DNS."""
    try:
        return validate_email(value, check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


AccountEmail = Annotated[
    str,
    Field(max_length=254, json_schema_extra={"format": "email"}),
    AfterValidator(_account_email),
]


class TokenRequest(BaseModel):
    email: AccountEmail
    password: str = Field(min_length=1, max_length=200)
    market: MarketCode | None = Field(
        default=None,
        description="Shoppers sign in to their market; merchants, creators and operators "
        "leave it out",
    )


class TokenRead(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the token stops working")


class ApiTokenRead(BaseModel):
    """One of the caller's API tokens (never the token itself: only its hash is kept)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    expires_at: datetime
    current: bool = Field(description="The token this request was made with")


class ShopperCreate(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    display_name: PersonName
    market: MarketCode = Field(examples=["US"])


class UserRead(BaseModel):
    id: int
    email: str
    display_name: str
    role: str
    market: str | None


class AddressIn(BaseModel):
    """A shipping address as a shopper types it (the country is their market's)."""

    full_name: PersonName
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    phone: str = Field(default="", max_length=40)


class AddressRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    full_name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country_code: str
    phone: str
