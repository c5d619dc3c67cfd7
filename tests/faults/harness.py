"""The app with one fault planted: SHOPTIDE_FAULT_AT names the step of a checkout at which
the process kills itself with SIGKILL (as `kill -9` does: no handler, no rollback, no
response). Served by uvicorn in a subprocess (`tests/faults/test_kill_and_recover.py`).

  before_charge  the intent is committed, the gateway not called yet
  after_charge   the gateway charged the card, nothing recorded its answer
  after_settle   the paid orders are committed, the response not sent
"""

import os
import signal
from typing import Any

from fastapi import FastAPI

from shoptide.app import create_app as create_shoptide
from shoptide.checkout import flows as checkout_flows
from shoptide.payments import service as payments_service

FAULTS = ("before_charge", "after_charge", "after_settle")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _plant(fault: str) -> None:
    charge = payments_service.charge
    settled = checkout_flows._give_back_if_refunding  # runs right after settle commits

    async def die_before_charge(*args: Any, **kwargs: Any) -> Any:
        _die()
        return await charge(*args, **kwargs)

    async def die_after_charge(*args: Any, **kwargs: Any) -> Any:
        outcome = await charge(*args, **kwargs)
        _die()
        return outcome

    async def die_after_settle(*args: Any, **kwargs: Any) -> Any:
        _die()
        return await settled(*args, **kwargs)

    if fault == "before_charge":
        payments_service.charge = die_before_charge  # type: ignore[assignment]
    elif fault == "after_charge":
        payments_service.charge = die_after_charge  # type: ignore[assignment]
    elif fault == "after_settle":
        checkout_flows._give_back_if_refunding = die_after_settle  # type: ignore[assignment]
    elif fault:
        raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")


def create_app() -> FastAPI:
    _plant(os.environ.get("SHOPTIDE_FAULT_AT", ""))
    return create_shoptide()
