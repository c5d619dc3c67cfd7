"""The payment gateway port and the built-in test gateway.

The test gateway behaves like a card processor's sandbox: a few card numbers have fixed
outcomes, so a person can try success, a decline and a flaky network from the checkout page.
"""

import secrets
from dataclasses import dataclass
from typing import Protocol

from shoptide.i18n import N_
from shoptide.money import Money

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_NEEDS_RETRY = "4000000000000119"  # first attempt fails with a processing error
TEST_CARDS = {  # shown on the checkout page, translated there
    CARD_SUCCEEDS: N_("Succeeds"),
    CARD_DECLINED: N_("Declined"),
    CARD_NEEDS_RETRY: N_("Fails once with a processing error, then succeeds on retry"),
}


class CardDeclined(Exception):
    """The issuer said no: final, do not retry."""


class GatewayUnavailable(Exception):
    """A transient failure (timeout, processing error): safe to retry with the same reference."""


@dataclass(frozen=True)
class Charge:
    gateway_ref: str
    card_last4: str


class PaymentGateway(Protocol):
    async def charge(self, *, reference: str, amount: Money, card_number: str) -> Charge: ...

    async def refund(self, *, reference: str, amount: Money) -> str: ...


class TestGateway:
    """In-process sandbox. Charges are idempotent per reference, like a real gateway's
    idempotency keys; the retry card fails on the first attempt of each reference."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self._attempts: dict[str, int] = {}
        self._charges: dict[str, Charge] = {}
        self._refunds: dict[str, str] = {}

    async def charge(self, *, reference: str, amount: Money, card_number: str) -> Charge:
        if reference in self._charges:
            return self._charges[reference]
        self._attempts[reference] = self._attempts.get(reference, 0) + 1
        if card_number == CARD_DECLINED:
            raise CardDeclined("Your card was declined. Try another card.")
        if card_number == CARD_NEEDS_RETRY and self._attempts[reference] == 1:
            raise GatewayUnavailable("processing error")
        if card_number not in (CARD_SUCCEEDS, CARD_NEEDS_RETRY):
            raise CardDeclined("The test gateway accepts only its test card numbers.")
        charge = Charge(gateway_ref=f"ch_{secrets.token_hex(8)}", card_last4=card_number[-4:])
        self._charges[reference] = charge
        return charge

    async def refund(self, *, reference: str, amount: Money) -> str:
        return self._refunds.setdefault(reference, f"re_{secrets.token_hex(8)}")
