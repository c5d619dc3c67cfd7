"""The test gateway with a sandbox file: its charges outlive the process that made them
and are found by their idempotency key, as a real gateway's are."""

import asyncio

from shoptide.money import Money
from shoptide.payments.gateway import CARD_SUCCEEDS, SandboxFileGateway, sandbox_gateway
from tests.conftest import make_settings

TEN = Money(1000, "USD")


async def test_a_charge_is_found_by_its_reference_from_another_process(tmp_path):
    path = tmp_path / "sandbox.sqlite3"
    made = await SandboxFileGateway(path).charge(
        reference="ref-1", amount=TEN, card_number=CARD_SUCCEEDS
    )

    later = SandboxFileGateway(path)  # a new process opening the same file

    assert await later.find("ref-1") == made
    assert await later.find("ref-never-charged") is None
    again = await later.charge(reference="ref-1", amount=TEN, card_number=CARD_SUCCEEDS)
    assert again == made


async def test_two_processes_charging_one_reference_at_once_make_one_charge(tmp_path):
    path = tmp_path / "sandbox.sqlite3"
    gateways = [SandboxFileGateway(path) for _ in range(4)]

    charges = await asyncio.gather(
        *(g.charge(reference="ref-2", amount=TEN, card_number=CARD_SUCCEEDS) for g in gateways)
    )

    assert len(set(charges)) == 1
    refunds = await asyncio.gather(*(g.refund(reference="void-x", amount=TEN) for g in gateways))
    assert len(set(refunds)) == 1


def test_settings_choose_the_sandbox_file_or_memory(tmp_path):
    settings = make_settings(tmp_path, {})
    assert not isinstance(sandbox_gateway(settings), SandboxFileGateway)
    with_file = settings.model_copy(update={"payment_sandbox_file": tmp_path / "s.sqlite3"})
    assert isinstance(sandbox_gateway(with_file), SandboxFileGateway)
