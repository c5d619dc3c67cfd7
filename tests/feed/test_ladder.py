"""The cold-start ladder: guaranteed exposure for new content, promotion when its rates beat
its peers', a stop when they don't."""

import numpy as np

from shoptide.feed.features import MemoryFeatures
from shoptide.feed.items import CLICK, IMPRESSION, WATCH
from shoptide.feed.ladder import STAGES, Ladder
from tests.feed.items_factory import T0, make_item, signal


def _ladder() -> Ladder:
    return Ladder(MemoryFeatures(), np.random.default_rng(7))


async def _show(ladder: Ladder, item, times: int, *, engaged: int, action: str = CLICK):  # type: ignore[no-untyped-def]
    seen = [(signal(item, IMPRESSION, viewer=f"user:{i}"), item) for i in range(times)]
    seen += [(signal(item, action, viewer=f"user:{i}", value=9_000), item) for i in range(engaged)]
    return await ladder.observe(seen, T0)


async def test_new_videos_start_in_the_starter_pool_and_products_skip_the_ladder() -> None:
    ladder = _ladder()
    video, product = make_item("video"), make_item("product")

    entered = ladder.enter(video, T0)

    assert entered is not None and (entered.stage, entered.status) == (0, "growing")
    assert ladder.enter(product, T0) is None
    assert ladder.status_of("US", product.key) == "open"
    assert not ladder.in_general_pools("US", video.key)


async def test_the_least_shown_starter_item_gets_the_first_exploration_slot() -> None:
    ladder = _ladder()
    shown_a_lot, brand_new = make_item("video"), make_item("video")
    ladder.enter(shown_a_lot, T0)
    ladder.enter(brand_new, T0)
    await _show(ladder, shown_a_lot, 50, engaged=40)  # its high rate would win a draw

    assert (await ladder.explore("US", T0, limit=2))[0] == brand_new.key


async def test_content_that_beats_its_peers_moves_up_and_poor_content_stops() -> None:
    ladder = _ladder()
    peers = [make_item("video") for _ in range(5)]
    strong, weak = make_item("video"), make_item("video")
    for item in (*peers, strong, weak):
        ladder.enter(item, T0)
    for peer in peers:  # peers engage 20% of the time, each still below its budget
        await _show(ladder, peer, 60, engaged=12)
    budget = STAGES[0].budget

    promoted = await _show(ladder, strong, budget, engaged=60)
    stopped = await _show(ladder, weak, budget, engaged=2)

    assert [(c.stage, c.status) for c in promoted] == [(1, "growing")]
    assert [(c.stage, c.status) for c in stopped] == [(0, "stopped")]
    assert "stayed in the starter pool" in stopped[0].reason
    assert ladder.in_general_pools("US", strong.key)
    assert weak.key not in await ladder.explore("US", T0, limit=10)


async def test_watching_most_of_a_video_counts_as_engagement_but_a_glance_does_not() -> None:
    ladder = _ladder()
    watched, glanced = make_item("video"), make_item("video")
    for item in (watched, glanced):
        ladder.enter(item, T0)

    moved = await _show(ladder, watched, STAGES[0].budget, engaged=80, action=WATCH)
    await ladder.observe(
        [(signal(glanced, WATCH, viewer=f"user:{i}", value=500), glanced) for i in range(80)], T0
    )
    glance = await _show(ladder, glanced, STAGES[0].budget, engaged=0)

    assert moved[0].status == "growing" and moved[0].stage == 1
    assert glance[0].status == "stopped"
