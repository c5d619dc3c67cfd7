"""Fitting in a worker process, so the event loop never blocks: the challenger ranker
(LightGBM) and each market's neighbours, with the fit's progress sent back on a queue."""

import asyncio
import multiprocessing
import queue
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

import numpy as np

from shoptide.feed import ranking
from shoptide.feed.candidates import EmbeddedItems, SimilarItems
from shoptide.feed.ranking import LearnedRanker

POLL_S = 0.25  # how often the event loop looks at the worker's progress


# The worker's end of the progress queue (set in the worker process only).
_progress_queue: Any = None


def _install_queue(progress: Any) -> None:
    global _progress_queue
    _progress_queue = progress


def fit_in_worker(
    features: np.ndarray, engaged: np.ndarray, bought: np.ndarray, name: str, rounds: int
) -> LearnedRanker:
    # The parent's ROUNDS (tests lower it); this process is the run's alone.
    ranking.ROUNDS = rounds
    reported = -1

    def on_round(done: int, total: int) -> None:
        nonlocal reported
        percent = 100 * done // total
        if percent != reported and _progress_queue is not None:  # about 100 messages, not 400
            reported = percent
            _progress_queue.put(percent)

    return ranking.fit(features, engaged, bought, name=name, on_round=on_round)


def neighbours_in_worker(
    sequences: dict[str, list[list[str]]],
) -> tuple[dict[str, SimilarItems], dict[str, EmbeddedItems]]:
    similar = {market: SimilarItems.fit(found) for market, found in sequences.items()}
    embedded = {
        market: learned
        for market, found in sequences.items()
        if (learned := EmbeddedItems.fit(found)) is not None
    }
    return similar, embedded


T = TypeVar("T")


class Worker:
    """One process for the CPU-heavy fits, so the event loop never blocks. Forked from a
    fork server, not from this process: forking a process with running threads (database
    drivers) can deadlock; the server is single-threaded and has imported this module once
    (seconds: LightGBM, SciPy), so each later run's process starts at once."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._queue: Any = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])  # in effect when the server starts
            # a queue reaches a worker only through its start (initializer), not a call
            self._queue = context.Queue()
            self._pool = ProcessPoolExecutor(
                1, mp_context=context, initializer=_install_queue, initargs=(self._queue,)
            )
        return self._pool

    async def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        on_percent: Callable[[int], Awaitable[None]] | None = None,
    ) -> T:
        """fn(*args) in the worker; on_percent hears what it puts on the progress queue."""
        pool = self._start()
        future = asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        while True:
            done, _ = await asyncio.wait({future}, timeout=POLL_S)
            for percent in self._drain():
                if on_percent is not None:
                    await on_percent(percent)
            if done:
                return future.result()

    def _drain(self) -> list[int]:
        found = []
        while True:
            try:
                found.append(self._queue.get_nowait())
            except queue.Empty:
                return found

    def close(self) -> None:
        # never wait here: a cancelled run leaves its fit to finish and the process to exit
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._queue.close()
