from datetime import UTC, datetime

import pytest

from shoptide.markets.models import Market
from shoptide.web.rendering import Page


def _market(**fields: str) -> Market:
    base = {
        "code": "ID",
        "name": "Indonesia",
        "currency": "IDR",
        "locale": "id_ID",
        "timezone": "Asia/Jakarta",
    }
    return Market(**{**base, **fields})


def test_times_show_in_the_markets_own_time_zone():
    late_evening_utc = datetime(2026, 1, 1, 17, 30, tzinfo=UTC)

    jakarta = Page(None, None, _market(), []).when(late_evening_utc)  # type: ignore[arg-type]
    new_york = Page(
        None,
        None,
        _market(
            code="US",
            locale="en_US",
            currency="USD",  # type: ignore[arg-type]
            timezone="America/New_York",
        ),
        [],
    ).when(late_evening_utc)

    assert jakarta.startswith("2 Jan 2026 00.30")  # already the next day in Jakarta
    assert new_york.startswith("Jan 1, 2026, 12:30")


def test_a_market_refuses_an_unknown_time_zone_or_currency():
    with pytest.raises(ValueError, match="IANA time zone"):
        _market(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="unsupported currency"):
        _market(currency="XXX")
