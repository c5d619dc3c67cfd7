"""The business rules that hold whatever the ranker says."""

from shoptide.feed.rules import Ranked, arrange
from tests.feed.items_factory import make_item


def _ranked(*entries: tuple[object, float]) -> list[Ranked]:
    return [Ranked(item, score) for item, score in entries]  # type: ignore[arg-type]


def test_no_more_than_two_in_a_row_from_one_shop() -> None:
    big_shop = [make_item(shop=1) for _ in range(4)]
    other = make_item(shop=2)
    ranked = _ranked(*((item, 10.0 - i) for i, item in enumerate(big_shop)), (other, 1.0))

    page = arrange(ranked, market="US", size=5)

    assert [entry.item.shop_id for entry in page] == [1, 1, 2, 1, 1]


def test_the_page_ends_short_rather_than_break_the_shop_rule() -> None:
    ranked = _ranked(*((make_item(shop=1), 5.0 - i) for i in range(4)))

    assert len(arrange(ranked, market="US", size=4)) == 2


def test_sold_out_products_and_other_markets_are_left_out_but_a_live_room_stays() -> None:
    sold_out = make_item(sold_out=True)
    elsewhere = make_item(market="GB")
    room = make_item("live", sold_out=True, live=True)
    fine = make_item(shop=2)
    ranked = _ranked((sold_out, 9.0), (elsewhere, 8.0), (room, 7.0), (fine, 1.0))

    page = arrange(ranked, market="US", size=10)

    assert [entry.item for entry in page] == [room, fine]


def test_items_already_shown_sink_below_fresh_ones() -> None:
    shown_twice, shown_once, fresh = make_item(shop=1), make_item(shop=2), make_item(shop=3)
    ranked = [
        Ranked(shown_twice, 100.0, seen=2),
        Ranked(shown_once, 50.0, seen=1),
        Ranked(fresh, 6.0),
    ]

    page = arrange(ranked, market="US", size=3)

    assert [entry.item for entry in page] == [fresh, shown_once, shown_twice]
