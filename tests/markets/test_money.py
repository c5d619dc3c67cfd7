from decimal import Decimal

import pytest

from shoptide.markets.service import included_tax
from shoptide.money import CurrencyMismatch, Money


@pytest.mark.parametrize(
    ("money", "locale", "shown"),
    [
        (Money(1999, "USD"), "en_US", "$19.99"),
        (Money(150000, "IDR"), "id_ID", "Rp150.000"),
        (Money(250000, "VND"), "vi_VN", "250.000\xa0₫"),
        (Money(39900, "THB"), "th_TH", "฿399.00"),
        (Money(1250, "GBP"), "en_GB", "£12.50"),
        (Money(1999, "EUR"), "de_DE", "19,99\xa0€"),
    ],
)
def test_prices_show_in_the_markets_currency_and_formatting(money, locale, shown):
    assert money.format(locale) == shown


def test_rupiah_has_no_minor_unit():
    assert Money.from_decimal("150000", "IDR") == Money(150000, "IDR")
    with pytest.raises(ValueError, match="0 decimal places"):
        Money.from_decimal("150000.50", "IDR")


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(19.99, "USD")  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatch):
        Money(100, "USD") + Money(100, "EUR")
    with pytest.raises(ValueError, match="unsupported currency"):
        Money(100, "XXX")


def test_major_units_round_trip_exactly():
    assert Money.from_decimal(Decimal("0.10"), "USD").amount == 10
    assert Money(10, "USD").to_decimal() == Decimal("0.10")


@pytest.mark.parametrize(
    ("gross", "rate_bp", "tax"),
    [
        (12000, 2000, 2000),  # £120 incl. 20% VAT holds £20
        (111000, 1100, 11000),  # Rp111.000 incl. 11% PPN holds Rp11.000
        (1999, 1900, 319),  # €19.99 incl. 19%: 3.1916… rounds to 3.19
        (500, 0, 0),
    ],
)
def test_included_tax_is_computed_in_integers(gross, rate_bp, tax):
    assert included_tax(gross, rate_bp) == tax
