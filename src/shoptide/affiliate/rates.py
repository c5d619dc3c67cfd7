"""Commission arithmetic the whole program shares: rates in basis points (1250 = 12.5%) and
the rounding rule, the only one.

A share of an amount is rounded half up to the minor unit, in integers:
`share(amount, bp) = (amount * bp + 5000) // 10000`. The platform fee is
`share(paid, market.platform_fee_bp)`, the commission `share(paid, rate_bp)`. What a refund
takes back of an amount is `proportional(amount, refunded, paid)` (see commissions)."""

from decimal import Decimal, InvalidOperation

from shoptide.errors import InvalidInput

MIN_RATE_BP, MAX_RATE_BP = 100, 8000  # commission rates: 1% to 80%
RATE_RANGE = "Commission rates run from 1% to 80%."


def check_rate(rate_bp: int) -> int:
    if not MIN_RATE_BP <= rate_bp <= MAX_RATE_BP:
        raise InvalidInput(RATE_RANGE)
    return rate_bp


def parse_rate_percent(text: str | Decimal) -> int:
    """A percentage as a person types it ("12.5", "12.5%") in basis points (1250)."""
    try:
        value = Decimal(str(text).strip().removesuffix("%").strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidInput("Enter the commission rate as a percentage, like 12.5.")
    rate_bp = value * 100
    if rate_bp != rate_bp.to_integral_value():
        raise InvalidInput("Commission rates have at most two decimals, like 12.25%.")
    return check_rate(int(rate_bp))


def rate_percent(rate_bp: int) -> Decimal:
    """1250 -> Decimal("12.5"): the rate as the API writes it."""
    return Decimal(rate_bp) / 100


def format_rate(rate_bp: int) -> str:
    """1250 -> "12.5%": the rate as pages show it."""
    return f"{rate_percent(rate_bp)}%"


def share(amount: int, bp: int) -> int:
    """`bp` basis points of a non-negative amount, rounded half up to the minor unit."""
    if amount < 0 or bp < 0:
        raise ValueError("share() takes non-negative amounts and rates")
    return (amount * bp + 5000) // 10000


def proportional(amount: int, part: int, whole: int) -> int:
    """amount * part / whole rounded half up: the share of `amount` that `part` of `whole`
    takes back (0 <= part <= whole, whole > 0)."""
    if whole <= 0 or not 0 <= part <= whole or amount < 0:
        raise ValueError("proportional() needs 0 <= part <= whole, whole > 0, amount >= 0")
    return (amount * part * 2 + whole) // (2 * whole)
