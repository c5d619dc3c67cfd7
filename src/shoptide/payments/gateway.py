"""The payment gateway port and the built-in test gateway.

The test gateway behaves like a card processor's sandbox: a few card numbers have fixed
outcomes, so a person can try success, a decline and a flaky network from the checkout page.
Like a real gateway it finds a charge by the idempotency key it was made under, and with a
sandbox file (SHOPTIDE_PAYMENT_SANDBOX_FILE) its charges outlive the process that made them.
"""

import asyncio
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from shoptide.i18n import N_
from shoptide.money import Money
from shoptide.settings import Settings

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

    async def find(self, reference: str) -> Charge | None:
        """The charge made under this idempotency key, if any (how a lost answer is found)."""
        ...

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
        if (found := await self.find(reference)) is not None:
            return found
        attempt = await self._count_attempt(reference)
        if card_number == CARD_DECLINED:
            raise CardDeclined("Your card was declined. Try another card.")
        if card_number == CARD_NEEDS_RETRY and attempt == 1:
            raise GatewayUnavailable("processing error")
        if card_number not in (CARD_SUCCEEDS, CARD_NEEDS_RETRY):
            raise CardDeclined("The test gateway accepts only its test card numbers.")
        made = Charge(gateway_ref=f"ch_{secrets.token_hex(8)}", card_last4=card_number[-4:])
        return await self._keep_charge(reference, made, amount)

    async def find(self, reference: str) -> Charge | None:
        return self._charges.get(reference)

    async def refund(self, *, reference: str, amount: Money) -> str:
        return await self._keep_refund(reference, f"re_{secrets.token_hex(8)}")

    # --- where the sandbox keeps what it did: here, in this process's memory ---

    async def _count_attempt(self, reference: str) -> int:
        self._attempts[reference] = self._attempts.get(reference, 0) + 1
        return self._attempts[reference]

    async def _keep_charge(self, reference: str, charge: Charge, amount: Money) -> Charge:
        """The first charge kept under a reference wins (two callers at once get the same)."""
        return self._charges.setdefault(reference, charge)

    async def _keep_refund(self, reference: str, gateway_ref: str) -> str:
        return self._refunds.setdefault(reference, gateway_ref)


_SANDBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempt (reference TEXT PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS charge (
    reference TEXT PRIMARY KEY, gateway_ref TEXT NOT NULL, card_last4 TEXT NOT NULL,
    amount_minor INTEGER NOT NULL, currency TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refund (reference TEXT PRIMARY KEY, gateway_ref TEXT NOT NULL);
"""


class SandboxFileGateway(TestGateway):
    """The test gateway keeping its charges and refunds in an SQLite file: they survive a
    killed app process and are seen by every process given the same file, as a real
    gateway's are. Each call opens its own connection in a thread (never on the loop)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SANDBOX_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def _run(self, sql: str, params: tuple[object, ...], read: str, key: str) -> tuple | None:
        """One write (insert-or-ignore, increment) and the row it leaves, in one transaction."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute(sql, params)
            row = db.execute(read, (key,)).fetchone()
            db.execute("COMMIT")
            return row
        finally:
            db.close()

    async def find(self, reference: str) -> Charge | None:
        def read() -> tuple | None:
            db = self._connect()
            try:
                query = "SELECT gateway_ref, card_last4 FROM charge WHERE reference = ?"
                return db.execute(query, (reference,)).fetchone()
            finally:
                db.close()

        row = await asyncio.to_thread(read)
        return Charge(*row) if row else None

    async def _count_attempt(self, reference: str) -> int:
        row = await asyncio.to_thread(
            self._run,
            "INSERT INTO attempt VALUES (?, 1) "
            "ON CONFLICT (reference) DO UPDATE SET count = count + 1",
            (reference,),
            "SELECT count FROM attempt WHERE reference = ?",
            reference,
        )
        assert row is not None
        return int(row[0])

    async def _keep_charge(self, reference: str, charge: Charge, amount: Money) -> Charge:
        row = await asyncio.to_thread(
            self._run,
            "INSERT OR IGNORE INTO charge VALUES (?, ?, ?, ?, ?)",
            (reference, charge.gateway_ref, charge.card_last4, amount.amount, amount.currency),
            "SELECT gateway_ref, card_last4 FROM charge WHERE reference = ?",
            reference,
        )
        assert row is not None
        return Charge(*row)

    async def _keep_refund(self, reference: str, gateway_ref: str) -> str:
        row = await asyncio.to_thread(
            self._run,
            "INSERT OR IGNORE INTO refund VALUES (?, ?)",
            (reference, gateway_ref),
            "SELECT gateway_ref FROM refund WHERE reference = ?",
            reference,
        )
        assert row is not None
        return str(row[0])


def sandbox_gateway(settings: Settings) -> TestGateway:
    """The built-in sandbox: in a file when settings name one, else in this process."""
    if settings.payment_sandbox_file is not None:
        return SandboxFileGateway(settings.payment_sandbox_file)
    return TestGateway()
