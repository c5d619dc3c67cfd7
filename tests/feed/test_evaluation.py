"""Offline evaluation of the feed's ranking: metrics, the leave-one-out split, the loader,
the sequence-similarity core and the `shoptide feed evaluate` command, on tiny data."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from shoptide.cli import app as cli
from shoptide.feed.evaluation import (
    Dataset,
    leave_one_out,
    load_dataset,
    ranking_metrics,
    rare_targets,
    target_ranks,
)
from shoptide.feed.similarity import SequenceSimilarity

N_ITEMS = 30


def _dataset(sequences: list[list[int]], n_items: int = N_ITEMS) -> Dataset:
    return Dataset(
        sequences=sequences, item_ids=[str(i) for i in range(n_items)], item_attributes=None
    )


def _chain_sequences(users: int = 40, length: int = 6) -> list[list[int]]:
    """Every shopper walks the same cycle of items from a different start: next is always +1."""
    return [[(start + step) % N_ITEMS for step in range(length)] for start in range(users)]


def test_hit_at_first_rank_scores_one_and_a_miss_scores_zero() -> None:
    assert ranking_metrics(np.array([0])) == {
        "hr@10": 1.0,
        "ndcg@10": 1.0,
        "hr@20": 1.0,
        "ndcg@20": 1.0,
    }
    assert ranking_metrics(np.array([25]))["hr@20"] == 0.0
    assert ranking_metrics(np.array([25]))["ndcg@20"] == 0.0


def test_metrics_average_hits_at_their_ranks() -> None:
    metrics = ranking_metrics(np.array([0, 2, 15]))

    assert metrics["hr@10"] == pytest.approx(2 / 3)
    assert metrics["ndcg@10"] == pytest.approx((1.0 + 1.0 / math.log2(4)) / 3)
    assert metrics["hr@20"] == pytest.approx(1.0)
    assert metrics["ndcg@20"] == pytest.approx((1.0 + 0.5 + 1.0 / math.log2(17)) / 3)


def test_history_items_are_removed_from_the_ranking() -> None:
    scores = np.array([[0.9, 0.8, 0.1, 0.5]])

    assert target_ranks(scores, np.array([3]), [[]])[0] == 2
    assert target_ranks(scores, np.array([3]), [[0, 1]])[0] == 0


def test_ties_rank_the_lower_item_index_first() -> None:
    scores = np.zeros((1, 5))

    assert target_ranks(scores, np.array([3]), [[]])[0] == 3
    assert target_ranks(scores, np.array([3]), [[1]])[0] == 2


def test_leave_one_out_holds_out_the_last_item_for_test_and_the_one_before_for_validation() -> None:
    dataset = _dataset([[1, 2, 3, 4, 5], [7, 8]])

    validation = leave_one_out(dataset, "validation")
    test = leave_one_out(dataset, "test")

    assert validation.training == [[1, 2, 3], []]
    assert validation.users.tolist() == [0]  # the two-item user has no history before it
    assert validation.targets.tolist() == [4]
    assert test.training == [[1, 2, 3, 4], [7]]
    assert test.users.tolist() == [0, 1]
    assert test.targets.tolist() == [5, 8]
    assert test.histories(np.array([0, 1])) == [[1, 2, 3, 4], [7]]


def test_rare_slice_keeps_targets_seen_at_most_five_times_in_training() -> None:
    # In the test split's training, item 9 is seen 7 times; items 3 and 4 never.
    dataset = _dataset([*[[9, 1, 2, 3]] * 6, [1, 9], [9, 4]])

    split = leave_one_out(dataset, "test")

    assert split.targets.tolist() == [3] * 6 + [9, 4]
    assert rare_targets(split).tolist() == [True] * 6 + [False, True]


def test_loader_maps_item_ids_in_order_of_appearance(tmp_path: Path) -> None:
    path = tmp_path / "Shop.txt"
    path.write_text("1 10 20 30\n2 20 30 40\n")

    dataset = load_dataset(path)

    assert dataset.sequences == [[0, 1, 2], [1, 2, 3]]
    assert dataset.item_ids == ["10", "20", "30", "40"]
    assert dataset.item_attributes is None


def test_loader_reads_attributes_beside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Shop.txt"
    path.write_text("1 10 20 30\n2 20 30 40\n")
    (tmp_path / "Shop_item2attributes.json").write_text(
        json.dumps({"10": [5, 6], "40": [6], "99": [7]})
    )

    attributes = load_dataset(path).item_attributes

    assert attributes is not None
    assert attributes.toarray().tolist() == [[1, 1], [0, 0], [0, 0], [0, 1]]


def test_ranking_core_recommends_the_item_that_usually_comes_next() -> None:
    model = SequenceSimilarity().fit(_chain_sequences(), N_ITEMS)

    assert model.recommend([3, 4, 5], k=3) == [6, 7, 8]
    assert model.recommend([3, 4, 5], k=1, exclude=[6]) == [7]


def test_ranking_core_never_recommends_history_items() -> None:
    # Shoppers go back and forth between 0 and 1: the history must still be left out.
    model = SequenceSimilarity().fit([[0, 1, 0, 1, 2]] * 5, n_items=4)

    assert set(model.recommend([0, 1], k=4)) == {2, 3}


def test_attributes_lift_items_that_share_them() -> None:
    sequences = [[0, 1, 2], [1, 2, 0]] * 3
    attributes = np.zeros((5, 2), dtype=np.float32)
    attributes[[0, 4], 0] = 1  # item 4 was never bought but shares a brand with item 0

    model = SequenceSimilarity().fit(sequences, 5, sp.csr_matrix(attributes))

    assert model.recommend([1, 2, 0], k=2) == [4, 3]


def test_evaluate_command_prints_one_json_object_of_every_model(tmp_path: Path) -> None:
    path = tmp_path / "Chain.txt"
    path.write_text(
        "".join(
            f"u{u} " + " ".join(map(str, seq)) + "\n" for u, seq in enumerate(_chain_sequences())
        )
    )

    result = CliRunner().invoke(cli, ["feed", "evaluate", "--dataset", str(path), "--json"])

    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)
    models = {"shoptide", "popularity", "implicit-als", "implicit-itemknn"}
    assert set(results) == {"validation", "test", "rare"}
    for by_model in results.values():
        assert set(by_model) == models
        for metrics in by_model.values():
            assert set(metrics) == {"hr@10", "ndcg@10", "hr@20", "ndcg@20"}
            assert all(0.0 <= value <= 1.0 for value in metrics.values())
    # The next item is always the obvious one: the sequence model gets every user right.
    assert results["test"]["shoptide"]["ndcg@10"] == 1.0
    assert results["validation"]["shoptide"]["hr@10"] == 1.0


def test_evaluate_command_prints_a_table_without_json(tmp_path: Path) -> None:
    path = tmp_path / "Chain.txt"
    path.write_text(
        "".join(f"u{u} " + " ".join(map(str, s)) + "\n" for u, s in enumerate(_chain_sequences()))
    )

    result = CliRunner().invoke(cli, ["feed", "evaluate", "--dataset", str(path)])

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    shoptide_rows = [row for row in rows if row and row[0] == "shoptide"]
    assert len(shoptide_rows) == 3  # validation, test, rare
    assert shoptide_rows[0][1:] == ["1.0000"] * 4


def test_evaluate_command_fails_clearly_without_the_dataset(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"

    result = CliRunner().invoke(cli, ["feed", "evaluate", "--dataset", str(missing)])

    assert result.exit_code == 1
    assert f"dataset not found: {missing}" in result.stderr
