"""Why an item has the feed traffic it has, in plain words for its merchant.

A pure function of the item's report (feed.report.item_report): where it stands on the
cold-start ladder and how its rates compare with the market's median item. Every sentence
goes through the caller's gettext, so Seller Center can speak the merchant's language.
"""

from collections.abc import Callable
from dataclasses import dataclass

from shoptide.feed.ladder import OPEN, STAGES
from shoptide.feed.report import ItemStats, Rates
from shoptide.i18n import N_

RATE_NAMES = {
    "click": N_("click rate"),
    "completion": N_("completion rate"),
    "conversion": N_("conversion rate"),
}

Gettext = Callable[[str], str]
Percent = Callable[[float], str]


@dataclass(frozen=True, slots=True)
class Compared:
    """One of an item's rates beside the market's median."""

    name: str  # "click" | "completion" | "conversion"
    value: float
    median: float


def compared(rates: Rates, median: Rates, *, video: bool) -> list[Compared]:
    """The rates a merchant sees for an item: completion only for videos."""
    names = ("click", "completion", "conversion") if video else ("click", "conversion")
    return [Compared(name, getattr(rates, name), getattr(median, name)) for name in names]


def _against_median(rows: list[Compared]) -> list[Compared]:
    """Best first by the ratio to the median; a rate whose median is 0 says nothing."""
    return sorted((row for row in rows if row.median > 0), key=lambda row: -row.value / row.median)


def stage_name(stats: ItemStats, gettext: Gettext) -> str:
    if stats.stage is None:
        return gettext("not placed yet")
    return gettext(STAGES[min(stats.stage.stage, OPEN)].name)


def explain(
    stats: ItemStats, median: Rates, *, video: bool, gettext: Gettext, percent: Percent
) -> str:
    """One sentence: what the ladder decided for the item, and the rate that decided it."""
    stage = stats.stage
    if stage is None:
        return gettext("Not in the feed yet: it enters the starter pool when the feed picks it up.")
    if stage.status == "open" or stage.stage >= OPEN:
        return gettext("Open to the whole feed")
    name = gettext(STAGES[stage.stage].name)
    ranked = _against_median(compared(stats.rates, median, video=video))
    if stage.status == "stopped":
        if not ranked:
            return gettext("Stayed in the %(stage)s: viewers engaged less than with its peers.") % {
                "stage": name
            }
        return _with_rate(
            gettext("Stayed in the %(stage)s: %(rate)s %(value)s vs %(median)s median"),
            name,
            ranked[-1],
            gettext,
            percent,
        )
    if stage.stage == 0:
        budget = STAGES[0].budget
        return gettext(
            "In the starter pool: %(shown)s of %(budget)s starter impressions so far"
        ) % {"shown": min(stats.impressions, budget), "budget": budget}
    if not ranked:
        return gettext("Moved up to the %(stage)s: viewers engaged more than with its peers.") % {
            "stage": name
        }
    return _with_rate(
        gettext("Moved up to the %(stage)s: %(rate)s %(value)s vs %(median)s median"),
        name,
        ranked[0],
        gettext,
        percent,
    )


def _with_rate(sentence: str, stage: str, row: Compared, gettext: Gettext, percent: Percent) -> str:
    return sentence % {
        "stage": stage,
        "rate": gettext(RATE_NAMES[row.name]),
        "value": percent(row.value),
        "median": percent(row.median),
    }
