"""Earnings and creators' performance over every cell: one read-only session per database,
added up (commission and order ids are unique only within a cell, so every line carries
its market)."""

from shoptide.affiliate.earnings import service
from shoptide.creators import service as creators_service
from shoptide.db import Databases
from shoptide.settings import GLOBAL_CELL


async def creator_earnings(
    databases: Databases, *, creator_id: int, limit: int = service.LINES_SHOWN
) -> service.CreatorEarnings:
    totals: dict[str, service.Totals] = {}
    lines: list[service.EarningLine] = []
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            await service.add_totals(session, creator_id, totals)
            lines += await service.lines(session, creator_id, limit + 1)
    lines.sort(key=lambda line: (line.accrued_at, line.commission_id), reverse=True)
    return service.CreatorEarnings(
        totals=sorted(totals.values(), key=lambda t: t.currency),
        lines=lines[:limit],
        more=len(lines) > limit,
    )


async def shop_performance(databases: Databases, *, shop_id: int) -> service.ShopPerformance:
    rows: dict[tuple[int, str], service.CreatorPerformance] = {}
    receivable: dict[str, int] = {}
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            await service.add_performance(session, shop_id, rows)
            await service.add_receivable(session, shop_id, receivable)
    async with databases.session(GLOBAL_CELL, write=False) as session:
        profiles = await creators_service.by_ids(session, [creator_id for creator_id, _ in rows])
    for row in rows.values():
        if profile := profiles.get(row.creator_id):
            row.handle, row.display_name = profile.handle, profile.display_name
    return service.ShopPerformance(
        creators=sorted(rows.values(), key=lambda r: (r.currency, -r.gmv_minor, r.creator_id)),
        receivable=dict(sorted(receivable.items())),
    )
