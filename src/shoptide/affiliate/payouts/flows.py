"""Settlement and payouts that own their units of work: the jobs that visit every cell (the
background sweep and the CLI run these; each is idempotent), and a creator's request to be
paid now."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.payouts import service
from shoptide.affiliate.payouts.models import Payout
from shoptide.db import Databases, utcnow
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL


async def settle_due(
    databases: Databases, *, now: datetime | None = None, batch: int = service.SETTLE_BATCH
) -> int:
    """Settle every pending commission whose return window has passed, in every cell;
    one transaction per batch. Returns how many lines this run settled."""
    moment = now or utcnow()
    settled = 0
    for cell in databases.each_cell():
        after: int | None = 0  # keyset: each batch starts past the last, never rescanning
        while after is not None:
            async with databases.session(cell) as session:
                count, after = await service.settle_batch(
                    session, after=after, now=moment, batch=batch
                )
            settled += count
    return settled


async def run_payouts(databases: Databases, *, run_key: str, now: datetime | None = None) -> int:
    """Pay every creator's settled commissions, one payout per creator and currency in each
    cell; running the same key again pays nothing twice. Returns how many payouts it made."""
    service.check_run_key(run_key)
    moment = now or utcnow()
    made = 0
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            payable = (
                await session.execute(
                    select(Commission.creator_id, Commission.currency)
                    .where(Commission.status == "settled")
                    .distinct()
                    .order_by(Commission.creator_id, Commission.currency)
                )
            ).all()
        for creator_id, currency in payable:
            async with databases.session(cell) as session:
                payout = await service.pay(
                    session, creator_id=creator_id, currency=currency, key=run_key, now=moment
                )
            made += payout is not None
    return made


async def request_payout(
    databases: Databases,
    *,
    creator_id: int,
    market: str,
    commission_ids: Sequence[int] = (),
    all_settled: bool = False,
) -> Payout:
    """A creator asks to be paid these settled lines of one market (commission ids are per
    market's cell), or all of that market's settled lines, now, in one payout."""
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        code = (await markets_service.get(global_, market)).code
    async with databases.session(databases.settings.cell_of_market(code)) as session:
        ids = list(commission_ids)
        if all_settled:
            ids = await service.settled_ids(session, creator_id=creator_id, market=code)
        return await service.request_payout(session, creator_id=creator_id, commission_ids=ids)
