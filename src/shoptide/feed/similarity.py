"""Learned item-to-item similarity from shoppers' item sequences.

The feed's "learned similarity" candidates: given a shopper's recent items (oldest first),
score every item and keep the best ones. It blends signals that each help on sequential
shopping data: what people pick right after an item (transitions), what they pick near it
in either direction (windowed co-occurrence), items sharing brand or category (for items
too rare to have many neighbours) and a small popularity prior (to break ties sensibly).
CPU only, numpy and scipy sparse; no database.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

FloatMatrix = np.ndarray


@dataclass(frozen=True)
class SimilarityWeights:
    """How much each signal counts; tuned on the validation split of Amazon Beauty."""

    transition: float = 1.0
    transition_decay: float = 0.1  # weight of the item before the last, relative to the last
    cooccurrence: float = 0.3
    window: int = 8  # items apart that still count as co-occurring
    gap_decay: float = 0.8  # weight of a pair one step further apart
    backward: float = 0.1  # weight of "j before i" relative to "i before j"
    # Pair (i, j) is divided by degree_i ** source_damping * degree_j ** target_damping:
    # 0.5 and 0.5 would be cosine; less damping of j lets well-liked items through.
    source_damping: float = 0.3
    target_damping: float = 0.2
    context_decay: float = 0.8  # recency decay of the history for co-occurrence/attributes
    attributes: float = 0.1
    popularity: float = 0.001
    history_length: int = 10  # only the most recent items of a history count


def _inverse_power(values: np.ndarray, power: float) -> sp.dia_matrix:
    """Diagonal matrix of values ** -power (0 where a value is 0): scales rows or columns."""
    scaled = np.power(values, power, dtype=np.float64)
    inverse = np.divide(1.0, scaled, out=np.zeros_like(scaled), where=values > 0)
    return sp.diags(inverse.astype(np.float32))


def _row_normalised(matrix: sp.csr_matrix) -> sp.csr_matrix:
    return sp.csr_matrix(_inverse_power(np.asarray(matrix.sum(axis=1)).ravel(), 1.0) @ matrix)


def _pairs(sequences: Sequence[Sequence[int]], gap: int) -> tuple[np.ndarray, np.ndarray]:
    """(earlier, later) item pairs that are `gap` positions apart in a sequence."""
    earlier = [seq[i] for seq in sequences for i in range(len(seq) - gap)]
    later = [seq[i + gap] for seq in sequences for i in range(len(seq) - gap)]
    return np.asarray(earlier, dtype=np.int64), np.asarray(later, dtype=np.int64)


def _pair_matrix(earlier: np.ndarray, later: np.ndarray, n_items: int) -> sp.csr_matrix:
    weights = np.ones(len(earlier), dtype=np.float32)
    return sp.csr_matrix((weights, (earlier, later)), shape=(n_items, n_items))


class SequenceSimilarity:
    """Scores all items for a history of item indices (0..n_items-1, oldest first)."""

    def __init__(self, weights: SimilarityWeights | None = None) -> None:
        self.weights = weights or SimilarityWeights()
        self.n_items = 0
        self._transitions = sp.csr_matrix((0, 0), dtype=np.float32)
        self._cooccurrence = sp.csr_matrix((0, 0), dtype=np.float32)
        self._attributes = sp.csr_matrix((0, 0), dtype=np.float32)
        self._popularity = np.zeros(0, dtype=np.float32)

    def fit(
        self,
        sequences: Sequence[Sequence[int]],
        n_items: int,
        item_attributes: sp.csr_matrix | None = None,
    ) -> "SequenceSimilarity":
        """Learn from sequences; item_attributes is an items x attributes 0/1 matrix."""
        self.n_items = n_items
        self._transitions = _row_normalised(_pair_matrix(*_pairs(sequences, 1), n_items))
        self._cooccurrence = self._windowed_cooccurrence(sequences)
        self._attributes = self._normalised_attributes(item_attributes)
        counts = np.bincount(
            np.fromiter((i for seq in sequences for i in seq), dtype=np.int64), minlength=n_items
        )
        scaled = np.log1p(counts) / max(float(np.log1p(counts.max(initial=0))), 1.0)
        self._popularity = scaled.astype(np.float32)
        return self

    def _windowed_cooccurrence(self, sequences: Sequence[Sequence[int]]) -> sp.csr_matrix:
        # Both directions, nearer pairs count more; damped by degree so popular items don't
        # win every row.
        w = self.weights
        total = sp.csr_matrix((self.n_items, self.n_items), dtype=np.float32)
        for gap in range(1, w.window + 1):
            forward = _pair_matrix(*_pairs(sequences, gap), self.n_items)
            both = forward + forward.T * np.float32(w.backward)
            total = total + both * np.float32(w.gap_decay ** (gap - 1))
        degree = np.asarray(total.sum(axis=1)).ravel()
        return sp.csr_matrix(
            _inverse_power(degree, w.source_damping)
            @ total
            @ _inverse_power(degree, w.target_damping)
        )

    def _normalised_attributes(self, item_attributes: sp.csr_matrix | None) -> sp.csr_matrix:
        if item_attributes is None:
            return sp.csr_matrix((self.n_items, 0), dtype=np.float32)
        # Rare attributes (a brand) say more than common ones (a whole category): idf weights.
        matrix = sp.csr_matrix(item_attributes, dtype=np.float32)
        frequency = np.asarray((matrix > 0).sum(axis=0)).ravel()
        idf = np.log1p(self.n_items / np.maximum(frequency, 1)).astype(np.float32)
        weighted = sp.csr_matrix(matrix @ sp.diags(idf))
        squared_norms = np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel()
        return sp.csr_matrix(_inverse_power(squared_norms, 0.5) @ weighted)

    def _recency_queries(self, histories: Sequence[Sequence[int]], decay: float) -> sp.csr_matrix:
        """One row per history: the recent items, the last weighing 1, earlier ones decaying."""
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        for row, history in enumerate(histories):
            recent = list(history)[-self.weights.history_length :]
            for age, item in enumerate(reversed(recent)):
                rows.append(row)
                columns.append(item)
                values.append(decay**age)
        return sp.csr_matrix(
            (np.asarray(values, dtype=np.float32), (rows, columns)),
            shape=(len(histories), self.n_items),
        )

    def score(self, histories: Sequence[Sequence[int]]) -> FloatMatrix:
        """Dense scores, one row per history, one column per item (higher is better)."""
        w = self.weights
        recent_steps = self._recency_queries(histories, w.transition_decay)
        recent_context = self._recency_queries(histories, w.context_decay)
        scores = (recent_steps @ self._transitions).toarray() * np.float32(w.transition)
        scores += (recent_context @ self._cooccurrence).toarray() * np.float32(w.cooccurrence)
        if self._attributes.shape[1] and w.attributes:
            profile = (recent_context @ self._attributes).toarray()
            scores += (self._attributes @ profile.T).T * np.float32(w.attributes)
        scores += self._popularity[np.newaxis, :] * np.float32(w.popularity)
        return scores

    def nearest(self, history: Sequence[int], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best items (and scores) for one history, from the sparse signals only: what
        the feed serves with, where a dense row over millions of items would be too slow."""
        w = self.weights
        steps = self._recency_queries([history], w.transition_decay) @ self._transitions
        context = self._recency_queries([history], w.context_decay) @ self._cooccurrence
        row = sp.csr_matrix(steps * np.float32(w.transition) + context * np.float32(w.cooccurrence))
        row.data[np.isin(row.indices, history)] = 0.0
        row.eliminate_zeros()
        best = np.argsort(-row.data, kind="stable")[:k]
        return row.indices[best], row.data[best]

    def recommend(
        self, history: Sequence[int], k: int, exclude: Sequence[int] | None = None
    ) -> list[int]:
        """The k best items for one history, leaving out the history and `exclude`."""
        scores = self.score([history])[0]
        scores[list(history)] = -np.inf
        if exclude:
            scores[list(exclude)] = -np.inf
        best_first = np.argsort(-scores, kind="stable")  # ties: lower index first
        return [int(i) for i in best_first[:k] if np.isfinite(scores[i])]
