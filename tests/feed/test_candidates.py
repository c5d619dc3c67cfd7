"""Learned candidate sources: item embeddings behind an approximate nearest-neighbour index
("liked by the same people")."""

import pickle
import random

from shoptide.feed.candidates import EmbeddedItems


def _two_crowds(viewers: int = 2_000) -> list[list[str]]:
    """Half the viewers engage only with videos 0-39, the other half only with 100-139."""
    rng = random.Random(1)
    return [
        [f"video:{(v % 2) * 100 + rng.randrange(40)}" for _ in range(8)] for v in range(viewers)
    ]


def _crowd(keys: list[str]) -> set[int]:
    return {int(key.split(":")[1]) // 100 for key in keys}


def test_items_liked_by_the_same_viewers_are_neighbours():
    embedded = EmbeddedItems.fit(_two_crowds())
    assert embedded is not None

    near_first = [key for key, _ in embedded.similar(["video:5", "video:7"], 20)]
    near_second = [key for key, _ in embedded.similar(["video:130"], 20)]

    assert len(near_first) == 20 and _crowd(near_first) == {0}
    assert _crowd(near_second) == {1}
    assert "video:5" not in near_first and "video:7" not in near_first  # the history left out


def test_the_index_survives_the_trip_from_the_training_process():
    embedded = EmbeddedItems.fit(_two_crowds())
    assert embedded is not None

    travelled = pickle.loads(pickle.dumps(embedded))

    assert travelled.similar(["video:130"], 10) == embedded.similar(["video:130"], 10)


def test_too_few_items_learn_nothing_and_unknown_histories_get_nothing():
    assert EmbeddedItems.fit([["video:1", "video:2"], ["video:2", "video:3"]]) is None
    embedded = EmbeddedItems.fit(_two_crowds())
    assert embedded is not None and embedded.similar(["video:9999"], 10) == []
