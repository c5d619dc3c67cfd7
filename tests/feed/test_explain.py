"""The explanation a merchant reads of why an item has the feed traffic it has."""

import time

from shoptide.feed import explain
from shoptide.feed.ladder import StageChange
from shoptide.feed.report import ItemStats, Rates

T0 = time.time() - 3600


def _stats(stage: StageChange | None, *, shown: int = 100, **rates: float) -> ItemStats:
    return ItemStats(
        item_key="video:1",
        impressions=shown,
        engaged=0,
        clicks=0,
        carts=0,
        purchases=0,
        purchase_minor=0,
        completed_watches=0,
        rates=Rates(**{"click": 0.0, "completion": 0.0, "conversion": 0.0, **rates}),
        stage=stage,
    )


def _at(stage: int, status: str) -> StageChange:
    return StageChange("video:1", "US", 1, stage, status, "", T0)


def _say(stats: ItemStats, median: Rates, *, video: bool = True) -> str:
    return explain.explain(
        stats, median, video=video, gettext=lambda s: s, percent=lambda v: f"{round(v * 100)}%"
    )


MEDIAN = Rates(click=0.07, completion=0.35, conversion=0.02)


def test_a_stopped_item_is_told_its_weakest_rate_against_the_median():
    stats = _stats(_at(0, "stopped"), click=0.08, completion=0.18, conversion=0.02)

    assert _say(stats, MEDIAN) == "Stayed in the starter pool: completion rate 18% vs 35% median"


def test_a_promoted_item_is_told_its_strongest_rate():
    stats = _stats(_at(1, "growing"), click=0.12, completion=0.36, conversion=0.02)

    assert _say(stats, MEDIAN) == "Moved up to the growing pool: click rate 12% vs 7% median"


def test_a_live_room_is_not_judged_on_completion():
    stats = _stats(_at(0, "stopped"), click=0.05, completion=0.0, conversion=0.02)

    assert _say(stats, MEDIAN, video=False) == (
        "Stayed in the starter pool: click rate 5% vs 7% median"
    )


def test_a_starter_item_is_told_how_far_it_is():
    assert _say(_stats(_at(0, "growing"), shown=40), MEDIAN) == (
        "In the starter pool: 40 of 100 starter impressions so far"
    )


def test_open_and_unplaced_items():
    assert _say(_stats(_at(3, "open")), MEDIAN) == "Open to the whole feed"
    assert _say(_stats(None), MEDIAN).startswith("Not in the feed yet")


def test_without_a_median_the_decision_is_said_plainly():
    stats = _stats(_at(2, "growing"), click=0.3)

    assert _say(stats, Rates(0.0, 0.0, 0.0)) == (
        "Moved up to the wide pool: viewers engaged more than with its peers."
    )


def test_the_explanation_speaks_the_merchants_language():
    from shoptide import i18n

    german = i18n.translations("de_DE")
    stats = _stats(_at(0, "stopped"), click=0.02, completion=0.4, conversion=0.02)

    said = explain.explain(
        stats, MEDIAN, video=True, gettext=german.gettext, percent=lambda v: f"{v:.0%}"
    )

    assert said != _say(stats, MEDIAN) and "2%" in said and "7%" in said
