"""Money as integer minor units of an ISO 4217 currency; never a float."""

from dataclasses import dataclass
from decimal import Decimal

from babel import Locale
from babel.numbers import parse_pattern

# Minor-unit exponent we charge in. IDR and VND have 2 on paper (ISO 4217) but none in
# practice: prices are whole rupiah and dong, so we store them as such.
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "THB": 2,
    "MYR": 2,
    "SGD": 2,
    "PHP": 2,
    "IDR": 0,
    "VND": 0,
    "JPY": 0,
}


class CurrencyMismatch(ValueError):
    pass


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"unsupported currency {currency!r}") from None


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        exponent(self.currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: Decimal | str, currency: str) -> "Money":
        """Parse a major-unit amount ("12.50"); refuses more precision than the currency has."""
        quantum = Decimal(1).scaleb(-exponent(currency))
        value = Decimal(value)
        if value != value.quantize(quantum):
            raise ValueError(f"{currency} has {exponent(currency)} decimal places")
        return cls(int(value.scaleb(exponent(currency))), currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def _same(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not mix")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> "Money":
        if not isinstance(quantity, int):
            raise TypeError("Money multiplies by whole quantities only")
        return Money(self.amount * quantity, self.currency)

    def format(self, locale: str) -> str:
        return format_money(self, locale)


def format_money(money: Money, locale: str) -> str:
    """Locale currency pattern with our exponent: Rp 150.000, not Rp 150.000,00."""
    loc = Locale.parse(locale)
    pattern = parse_pattern(loc.currency_formats["standard"].pattern)
    digits = exponent(money.currency)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(money.to_decimal(), loc, currency=money.currency, currency_digits=False)
