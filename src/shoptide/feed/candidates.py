"""Where a page's candidates come from, besides the ladder and the real-time boards:
"more like this" learned from what viewers engaged with one after another, "liked by the
same people" from item embeddings behind an approximate nearest-neighbour index, and a
market's newest items, refreshed now and then rather than per page."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import faiss
import numpy as np
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

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


class EmbeddedItems:
    """Items liked by the same viewers: implicit's ALS factorises who engaged with what into
    item vectors, and a faiss HNSW index finds the nearest ones to a viewer's recent items
    (approximately: in well under a millisecond among a million items)."""

    FACTORS = 32  # at most; a small market gets fewer (a quarter of its items)
    MIN_ITEMS = 16
    NEIGHBOURS = 32  # HNSW graph degree

    def __init__(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        self.keys = list(keys)
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.vectors = vectors
        self.search: faiss.Index = faiss.IndexHNSWFlat(
            vectors.shape[1], self.NEIGHBOURS, faiss.METRIC_INNER_PRODUCT
        )
        self.search.add(vectors)

    @classmethod
    def fit(cls, sequences: Iterable[Sequence[str]]) -> "EmbeddedItems | None":
        """Learn from each viewer's engaged items; None while there is too little to learn."""
        index: dict[str, int] = {}
        rows, columns = [], []
        for viewer, sequence in enumerate(s for s in sequences if len(s) >= MIN_SEQUENCE):
            for key in sequence:
                rows.append(viewer)
                columns.append(index.setdefault(key, len(index)))
        if len(index) < cls.MIN_ITEMS:
            return None
        viewers_items = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, columns)),
            shape=(max(rows) + 1, len(index)),
        )
        viewers_items.data[:] = 1.0  # an item engaged with twice is still one taste
        with threadpool_limits(limits=1, user_api="blas"):  # implicit's ALS wants one thread
            factors = min(cls.FACTORS, len(index) // 4)
            model = AlternatingLeastSquares(factors=factors, random_state=0, use_gpu=False)
            model.fit(viewers_items, show_progress=False)
        vectors = np.ascontiguousarray(model.item_factors, dtype=np.float32)
        faiss.normalize_L2(vectors)
        return cls(list(index), vectors)

    def similar(self, history: Sequence[str], k: int) -> list[tuple[str, float]]:
        """The k items nearest to the mean of the history's vectors (the history left out)."""
        known = [self.index[key] for key in history if key in self.index]
        if not known:
            return []
        query = self.vectors[known].mean(axis=0, keepdims=True)
        faiss.normalize_L2(query)
        scores, found = self.search.search(query, k + len(known))
        mine = set(known)
        return [
            (self.keys[i], float(score))
            for i, score in zip(found[0], scores[0], strict=True)
            if i >= 0 and i not in mine
        ][:k]

    # faiss indexes do not pickle (the training worker sends these back): its bytes do
    def __getstate__(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        return self.keys, self.vectors, faiss.serialize_index(self.search)

    def __setstate__(self, state: tuple[list[str], np.ndarray, np.ndarray]) -> None:
        self.keys, self.vectors, built = state
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.search = faiss.deserialize_index(built)


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
