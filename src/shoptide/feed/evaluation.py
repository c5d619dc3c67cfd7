"""Offline ranking quality of the feed on sequence data (Amazon Beauty by default).

The standard leave-one-out protocol, so figures compare with published ones: per user the
last item is the test target, the second-to-last the validation target, the rest history.
Every item is ranked (no sampled negatives) with the user's history items removed; we
report HR@k and NDCG@k for all users and for targets that are rare in the training data.
"""

import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from shoptide.feed.similarity import FloatMatrix, SequenceSimilarity

CUTOFFS = (10, 20)
RARE_MAX_COUNT = 5  # a target seen at most this often in training is "rare"
BATCH_USERS = 1024  # rows of dense scores held at once (x items x 4 bytes)

SplitName = Literal["validation", "test"]
Metrics = dict[str, float]
Scorer = Callable[[np.ndarray], FloatMatrix]  # evaluated-user positions -> scores
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Dataset:
    """Users' item sequences as item indices 0..n_items-1, oldest first."""

    sequences: list[list[int]]
    item_ids: list[str]  # index -> the id in the file
    item_attributes: sp.csr_matrix | None  # items x attributes, 1 where the item has it

    @property
    def n_items(self) -> int:
        return len(self.item_ids)


@dataclass(frozen=True)
class Split:
    """What models learn from and what they are asked to predict, for one target position."""

    training: list[list[int]]  # every user's sequence before the target
    users: np.ndarray  # positions in `training` of the users evaluated
    targets: np.ndarray  # the item each evaluated user picked next
    n_items: int
    item_attributes: sp.csr_matrix | None

    def histories(self, positions: np.ndarray) -> list[list[int]]:
        return [self.training[self.users[p]] for p in positions]

    def training_counts(self) -> np.ndarray:
        flat = np.fromiter((i for seq in self.training for i in seq), dtype=np.int64)
        return np.bincount(flat, minlength=self.n_items)

    def user_items(self) -> sp.csr_matrix:
        """Users x items, 1 where the user has the item in training (what baselines fit on)."""
        rows = np.repeat(np.arange(len(self.training)), [len(s) for s in self.training])
        columns = np.fromiter((i for seq in self.training for i in seq), dtype=np.int64)
        return _binary_matrix(rows, columns, shape=(len(self.training), self.n_items))


def _binary_matrix(
    rows: Sequence[int] | np.ndarray, columns: Sequence[int] | np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    """1 at each (row, column) given; a pair given twice (an item bought twice) is still 1."""
    matrix = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=shape, dtype=np.float32
    )
    matrix.data[:] = 1.0
    return matrix


def load_dataset(path: Path) -> Dataset:
    """Read `user item item ...` lines; attributes from `<stem>_item2attributes.json` if present."""
    index: dict[str, int] = {}
    sequences = []
    for line in path.read_text().splitlines():
        _user, *items = line.split()
        if items:
            sequences.append([index.setdefault(item, len(index)) for item in items])
    attributes_path = path.with_name(f"{path.stem}_item2attributes.json")
    attributes = _load_attributes(attributes_path, index) if attributes_path.exists() else None
    return Dataset(sequences=sequences, item_ids=list(index), item_attributes=attributes)


def _load_attributes(path: Path, index: dict[str, int]) -> sp.csr_matrix:
    raw: dict[str, list[int]] = json.loads(path.read_text())
    known = [(index[item], values) for item, values in raw.items() if item in index]
    attribute_ids = sorted({value for _, values in known for value in values})
    column = {value: i for i, value in enumerate(attribute_ids)}
    rows = [item for item, values in known for _ in values]
    columns = [column[value] for _, values in known for value in values]
    return _binary_matrix(rows, columns, shape=(len(index), len(attribute_ids)))


def leave_one_out(dataset: Dataset, split: SplitName) -> Split:
    """Test: predict the last item from the rest. Validation: the second-to-last from before it."""
    held_out = 1 if split == "test" else 2
    training = [seq[: len(seq) - held_out] for seq in dataset.sequences]
    # A user needs one history item before the target to be evaluated.
    users = np.asarray(
        [u for u, seq in enumerate(dataset.sequences) if len(seq) > held_out], dtype=np.int64
    )
    targets = np.asarray([dataset.sequences[u][-held_out] for u in users], dtype=np.int64)
    return Split(
        training=training,
        users=users,
        targets=targets,
        n_items=dataset.n_items,
        item_attributes=dataset.item_attributes,
    )


def target_ranks(
    scores: FloatMatrix, targets: np.ndarray, histories: Sequence[Sequence[int]]
) -> np.ndarray:
    """0-based rank of each target among all items, history items removed.

    Ties go to the lower item index, as a stable sort would order them."""
    scores = scores.astype(np.float64, copy=True)
    for row, history in enumerate(histories):
        # A target bought before stays rankable (none is, in Amazon Beauty).
        seen = [i for i in history if i != targets[row]]
        scores[row, seen] = -np.inf
    target_scores = scores[np.arange(len(targets)), targets][:, np.newaxis]
    above = (scores > target_scores).sum(axis=1)
    lower_index = np.arange(scores.shape[1])[np.newaxis, :] < targets[:, np.newaxis]
    tied_before = ((scores == target_scores) & lower_index).sum(axis=1)
    return (above + tied_before).astype(np.int64)


def ranking_metrics(ranks: np.ndarray, cutoffs: Sequence[int] = CUTOFFS) -> Metrics:
    """HR@k (target in the top k) and NDCG@k (1/log2(rank+2) when it is), averaged."""
    metrics: Metrics = {}
    for k in cutoffs:
        hit = ranks < k
        gain = np.where(hit, 1.0 / np.log2(ranks + 2.0), 0.0)
        metrics[f"hr@{k}"] = float(hit.mean()) if len(ranks) else 0.0
        metrics[f"ndcg@{k}"] = float(gain.mean()) if len(ranks) else 0.0
    return metrics


def rank_split(split: Split, scorer: Scorer) -> np.ndarray:
    """Ranks of every evaluated user's target, scoring users in batches."""
    ranks = []
    for start in range(0, len(split.users), BATCH_USERS):
        positions = np.arange(start, min(start + BATCH_USERS, len(split.users)))
        ranks.append(
            target_ranks(scorer(positions), split.targets[positions], split.histories(positions))
        )
    return np.concatenate(ranks) if ranks else np.zeros(0, dtype=np.int64)


def rare_targets(split: Split) -> np.ndarray:
    """Which evaluated users' targets were seen at most RARE_MAX_COUNT times in training."""
    return split.training_counts()[split.targets] <= RARE_MAX_COUNT


def shoptide_scorer(split: Split) -> Scorer:
    model = SequenceSimilarity().fit(split.training, split.n_items, split.item_attributes)
    return lambda positions: model.score(split.histories(positions))


def popularity_scorer(split: Split) -> Scorer:
    counts = split.training_counts().astype(np.float32)
    return lambda positions: np.broadcast_to(counts, (len(positions), split.n_items))


def als_scorer(split: Split) -> Scorer:
    from implicit.als import AlternatingLeastSquares

    user_items = split.user_items()
    # implicit's ALS is fastest (and warns otherwise) with single-threaded BLAS.
    with threadpool_limits(limits=1, user_api="blas"):
        model = AlternatingLeastSquares(
            factors=256, regularization=1.0, alpha=20.0, random_state=0, use_gpu=False
        )
        model.fit(user_items, show_progress=False)
    users, items = np.asarray(model.user_factors), np.asarray(model.item_factors)
    return lambda positions: users[split.users[positions]] @ items.T


def itemknn_scorer(split: Split) -> Scorer:
    from implicit.nearest_neighbours import BM25Recommender
    from implicit.utils import ParameterWarning

    user_items = split.user_items()
    model = BM25Recommender(K=100)
    with warnings.catch_warnings():
        # BM25Recommender hands its own weighted COO matrix to its parent's fit, which warns.
        warnings.simplefilter("ignore", ParameterWarning)
        model.fit(user_items, show_progress=False)
    similarity = sp.csr_matrix(model.similarity)
    return lambda positions: (user_items[split.users[positions]] @ similarity).toarray()


MODELS: dict[str, Callable[[Split], Scorer]] = {
    "shoptide": shoptide_scorer,
    "popularity": popularity_scorer,
    "implicit-als": als_scorer,
    "implicit-itemknn": itemknn_scorer,
}


def evaluate(
    dataset: Dataset, progress: Progress = lambda _: None
) -> dict[str, dict[str, Metrics]]:
    """Every model on validation and test, plus test on rare targets: split -> model -> metrics."""
    results: dict[str, dict[str, Metrics]] = {"validation": {}, "test": {}, "rare": {}}
    for split_name in ("validation", "test"):
        split = leave_one_out(dataset, split_name)
        rare = rare_targets(split)
        for model_name, build_scorer in MODELS.items():
            progress(f"{split_name}: fitting and ranking {model_name}")
            ranks = rank_split(split, build_scorer(split))
            results[split_name][model_name] = ranking_metrics(ranks)
            if split_name == "test":
                results["rare"][model_name] = ranking_metrics(ranks[rare])
    return results


TABLE_TITLES = {
    "validation": "validation (all users)",
    "test": "test (all users)",
    "rare": f"test, rare targets (seen <= {RARE_MAX_COUNT} times in training)",
}


def format_table(results: dict[str, dict[str, Metrics]]) -> str:
    """The results as aligned plain-text tables, one per split."""
    columns = [f"{metric}@{k}" for k in CUTOFFS for metric in ("hr", "ndcg")]
    lines = []
    for split_name, by_model in results.items():
        lines.append(TABLE_TITLES.get(split_name, split_name))
        lines.append(f"  {'model':<18}" + "".join(f"{c.upper():>10}" for c in columns))
        for model_name, metrics in by_model.items():
            values = "".join(f"{metrics[c]:>10.4f}" for c in columns)
            lines.append(f"  {model_name:<18}{values}")
        lines.append("")
    return "\n".join(lines)
