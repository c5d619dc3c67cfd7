from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from shoptide.deps import GlobalRead
from shoptide.markets import service

public_router = APIRouter(tags=["markets"])


class MarketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    currency: str
    locale: str


@public_router.get("/markets", response_model=list[MarketRead])
async def list_markets(session: GlobalRead) -> list[MarketRead]:
    return [MarketRead.model_validate(m) for m in await service.list(session)]
