"""Where a page's candidates come from, besides the ladder and the real-time boards:
"more like this" learned from what viewers engaged with one after another, and a market's
popular and newest items, refreshed now and then rather than per page."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from shoptide.feed.catalog import Catalog
from shoptide.feed.items import FeedItem
from shoptide.feed.similarity import SequenceSimilarity

MIN_SEQUENCE = 2  # a viewer's sequence teaches transitions only from its second item


class SimilarItems:
    """Item-to-item similarity of one market's items, by key (feed.similarity's model)."""

    def __init__(self, keys: Sequence[str], model: SequenceSimilarity) -> None:
        self.keys = list(keys)
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.model = model

    @classmethod
    def fit(cls, sequences: Iterable[Sequence[str]]) -> "SimilarItems":
        """Learn from viewers' engaged items in order (one sequence per viewer)."""
        index: dict[str, int] = {}
        coded = [
            [index.setdefault(key, len(index)) for key in sequence]
            for sequence in sequences
            if len(sequence) >= MIN_SEQUENCE
        ]
        return cls(list(index), SequenceSimilarity().fit(coded, len(index)))

    def similar(self, history: Sequence[str], k: int) -> list[tuple[str, float]]:
        known = [self.index[key] for key in history if key in self.index]
        if not known:
            return []
        found, scores = self.model.nearest(known, k)
        return [(self.keys[i], float(s)) for i, s in zip(found, scores, strict=True)]


@dataclass
class Shelf:
    """A market's lists that are too costly to build per page, rebuilt every `ttl` seconds."""

    built_at: float = float("-inf")
    newest: list[FeedItem] = field(default_factory=list)


class Shelves:
    """Newest items per market, for markets with little history (and the feed's fallback)."""

    def __init__(self, catalog: Catalog, ttl: float = 30.0, size: int = 200) -> None:
        self.catalog, self.ttl, self.size = catalog, ttl, size
        self._shelves: dict[str, Shelf] = defaultdict(Shelf)

    def newest(self, market: str, at: float, keep: Callable[[FeedItem], bool]) -> list[FeedItem]:
        shelf = self._shelves[market]
        if at - shelf.built_at > self.ttl:
            ready = [item for item in self.catalog.items_in(market) if keep(item)]
            ready.sort(key=lambda item: item.published_at, reverse=True)
            shelf.newest, shelf.built_at = ready[: self.size], at
        return shelf.newest

    def invalidate(self, market: str) -> None:
        self._shelves[market].built_at = float("-inf")
