"""Shops use cases that own their unit of work (Seller Center's forms: a refusal has
rolled everything back before the form is shown again)."""

from shoptide.accounts.models import User
from shoptide.accounts.service import Passwords
from shoptide.db import Databases
from shoptide.settings import GLOBAL_CELL
from shoptide.shops import service
from shoptide.shops.schemas import StaffCreate


async def add_staff_account(
    databases: Databases,
    *,
    shop_id: int,
    acting_role: str,
    staff: StaffCreate,
    passwords: Passwords,
) -> User:
    """A merchant account for a new colleague, seated in the shop (owners only)."""
    async with databases.session(GLOBAL_CELL) as session:
        return await service.add_staff_account(
            session,
            shop_id=shop_id,
            acting_role=acting_role,
            email=staff.email,
            display_name=staff.display_name,
            password=staff.password,
            role=staff.role,
            passwords=passwords,
        )
