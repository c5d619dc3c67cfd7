from pydantic import BaseModel, ConfigDict, EmailStr, Field


class TokenRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=200)
    market: str | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="Shoppers sign in to their market; merchants leave it out",
    )


class TokenRead(BaseModel):
    token: str
    token_type: str = "bearer"


class ShopperCreate(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    display_name: str = Field(min_length=1, max_length=120)
    market: str = Field(min_length=2, max_length=2)


class UserRead(BaseModel):
    id: int
    email: str
    display_name: str
    role: str
    market: str | None


class AddressIn(BaseModel):
    """A shipping address as a shopper types it (the country is their market's)."""

    full_name: str = Field(min_length=1, max_length=120)
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
