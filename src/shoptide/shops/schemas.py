from pydantic import BaseModel, EmailStr, Field

from shoptide.names import PersonName


class StaffCreate(BaseModel):
    email: EmailStr
    display_name: PersonName
    password: str = Field(min_length=8, max_length=200)
    role: str = Field(default="staff", pattern="^(owner|staff)$")


class MemberRead(BaseModel):
    user_id: int
    email: str
    display_name: str
    role: str


class ShopRead(BaseModel):
    id: int
    name: str
    slug: str
    home_market: str
    is_brand: bool
    my_role: str
