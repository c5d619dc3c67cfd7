"""Background work of the embedded mode: outbox dispatch, expiry of unpaid checkouts and
of flash deals.

`shoptide worker` runs the same loop in its own process when the web app runs with
SHOPTIDE_EMBEDDED_DISPATCHER=false.
"""

import asyncio

import structlog
from fastapi import FastAPI

from shoptide.checkout import service as checkout_service
from shoptide.content import jobs as video_jobs
from shoptide.db import Databases
from shoptide.events import Dispatcher
from shoptide.live import commerce as live_commerce

log = structlog.get_logger(__name__)


async def sweep_expired(databases: Databases) -> int:
    """Unpaid checkouts give their stock back; flash deals past their time put theirs back."""
    expired = 0
    for cell in databases.settings.cells:
        expired += await checkout_service.expire_stale(databases, cell)
        expired += await live_commerce.end_due_deals(databases, cell)
    return expired


async def run_loop(databases: Databases, dispatcher: Dispatcher, interval: float) -> None:
    sweeper = asyncio.create_task(_sweep_forever(databases, interval * 15))
    try:
        await dispatcher.run_forever(interval)
    finally:
        sweeper.cancel()


async def _sweep_forever(databases: Databases, interval: float) -> None:
    while True:
        try:
            if expired := await sweep_expired(databases):
                log.info("expired unpaid checkouts and flash deals", count=expired)
        except Exception:
            log.exception("expiry sweep failed")
        try:  # at start too: a transcode that died with its process gets its event again
            if stalled := await video_jobs.requeue_stalled(databases):
                log.info("requeued stalled video transcodes", count=stalled)
        except Exception:
            log.exception("video transcode sweep failed")
        await asyncio.sleep(interval)


async def run_embedded(app: FastAPI) -> None:
    settings = app.state.settings
    await run_loop(app.state.databases, app.state.dispatcher, settings.dispatcher_interval_seconds)
