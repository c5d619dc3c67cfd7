"""Background work of the embedded mode: outbox dispatch, and sweeps for what runs out or
was left behind (unpaid checkouts, flash deals, stuck replays and transcodes), and the
affiliate program's settlement and daily payout run.

`shoptide worker` runs the same loop in its own process when the web app runs with
SHOPTIDE_EMBEDDED_DISPATCHER=false.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI

from shoptide.affiliate.payouts import flows as payouts
from shoptide.affiliate.payouts import service as payouts_service
from shoptide.checkout import flows as checkout_flows
from shoptide.content import jobs as video_jobs
from shoptide.db import Databases
from shoptide.events import Dispatcher
from shoptide.live import media as live_media
from shoptide.live import selling as live_selling
from shoptide.payments.gateway import PaymentGateway

log = structlog.get_logger(__name__)


async def sweep_expired(databases: Databases, gateway: PaymentGateway) -> int:
    """Checkouts a stopped process left unpaid are settled, refunded or expired after asking
    the gateway; flash deals past their time put their stock back."""
    expired = 0
    for cell in databases.each_cell():
        expired += await checkout_flows.expire_stale(databases, gateway, cell)
        expired += await live_selling.end_due_deals(databases, cell)
    return expired


async def pay_out_daily(databases: Databases) -> int:
    """The day's payout run, keyed by the UTC date: a creator is paid once a day, so what
    settles after their payout waits for tomorrow's."""
    return await payouts.run_payouts(databases, run_key=payouts_service.daily_run_key())


async def run_loop(
    databases: Databases, dispatcher: Dispatcher, interval: float, gateway: PaymentGateway
) -> None:
    sweeper = asyncio.create_task(_sweep_forever(databases, gateway, interval * 15))
    try:
        await dispatcher.run_forever(interval)
    finally:
        sweeper.cancel()
        # wait until its unit of work has rolled back: a stopped loop holds no lock
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper


# Each sweep repairs what a stop or a crash left behind; each returns how many it took up.
SWEEPS: tuple[tuple[str, Callable[[Databases], Awaitable[int]]], ...] = (
    ("remuxed replays a dead process left processing", live_media.recover_replays),
    ("requeued stalled video transcodes", video_jobs.requeue_stalled),
    ("settled commissions past their return window", payouts.settle_due),
    ("creator payouts of the day's run", pay_out_daily),
)


async def _sweep_forever(databases: Databases, gateway: PaymentGateway, interval: float) -> None:
    async def unpaid_checkouts(databases: Databases) -> int:
        # asks the gateway what became of charges a stopped process left unrecorded
        return await sweep_expired(databases, gateway)

    sweeps = (("settled, refunded or expired unpaid checkouts; ended deals", unpaid_checkouts),)
    while True:  # at start too
        for done, sweep in sweeps + SWEEPS:
            try:
                if count := await sweep(databases):
                    log.info(done, count=count)
            except Exception:  # one sweep's failure must not stop the others
                log.exception("sweep failed", sweep=sweep.__name__)
        await asyncio.sleep(interval)


async def run_embedded(app: FastAPI) -> None:
    settings = app.state.settings
    await run_loop(
        app.state.databases,
        app.state.dispatcher,
        settings.dispatcher_interval_seconds,
        app.state.gateway,
    )
