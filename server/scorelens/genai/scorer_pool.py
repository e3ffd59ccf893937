"""One scorer over many rows at once: a thread pool, or one event loop for an `async def` scorer.

As MLflow's evaluation harness does (MLFLOW_GENAI_EVAL_MAX_WORKERS), rows are scored
concurrently, at most `max_workers` at a time (default 10, or SCORELENS_MAX_WORKERS), as soon
as a row proves slow (a scorer waiting on a model); quick rows run one after another, which
for a scorer that only computes is several times faster than threads. Results
come back in row order, so aggregates are those of a sequential run; a row's exception stays on
its row. Each row's model calls are recorded, and answered from the judge-call cache when one is
given (see scorelens.judging).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from scorelens.entities import Trace
from scorelens.genai.scorer_runs import PreparedScorer, Verdict, run_to_end
from scorelens.judging import JudgeCache, JudgeCall, judge_calls_recorded

MAX_WORKERS_ENV = "SCORELENS_MAX_WORKERS"
DEFAULT_MAX_WORKERS = 10
_SLOW_ROW_MS = 2.0
_SLOW_ROWS_TO_POOL = 2
# The first row may pay for one-time work (a client made, a module read): it must stay busy
# this long before every row goes to the pool at once.
_FIRST_ROW_WAIT_MS = 50.0


def max_workers(value: int | None = None) -> int:
    """The pool's size: the caller's, else SCORELENS_MAX_WORKERS, else 10."""
    if value is None:
        raw = os.environ.get(MAX_WORKERS_ENV, "").strip()
        if not raw:
            return DEFAULT_MAX_WORKERS
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{MAX_WORKERS_ENV}={raw!r} must be a whole number") from None
    if value < 1:
        raise ValueError(f"max_workers must be 1 or more, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Row:
    inputs: Any
    outputs: Any
    expectations: dict[str, Any] | None
    trace: Trace | None


@dataclass(slots=True)
class RowResult:
    verdicts: list[Verdict]
    judge_calls: list[JudgeCall]
    elapsed_ms: float


OnStart = Callable[[int], None]  # the row's index, from the thread that scores it
OnDone = Callable[[int, RowResult], None]  # the row's index, from the caller's thread

# What a row that ran holds in the answer of `score_rows(keep=False)`.
RAN = RowResult([], [], 0.0)


def score_rows(
    scorer: PreparedScorer,
    rows: Sequence[Row],
    *,
    workers: int,
    judge_cache: JudgeCache | None = None,
    on_start: OnStart | None = None,
    on_done: OnDone | None = None,
    stopped: Callable[[], bool] | None = None,
    keep: bool = True,
) -> list[RowResult | None]:
    """Every row's result, in row order; None for rows not begun because `stopped()` said so.

    With `keep=False` (a caller that takes each result in `on_done`), a row that ran reads
    RAN: 100,000 rows' Feedback are then not all held until the last row ends.
    """
    if scorer.is_async:
        return run_to_end(
            _score_async(scorer, rows, workers, judge_cache, on_start, on_done, stopped, keep)
        )
    results: list[RowResult | None] = [None] * len(rows)

    def one(index: int) -> RowResult | None:
        if stopped is not None and stopped():
            return None
        if on_start is not None:
            on_start(index)
        row = rows[index]
        started = time.perf_counter()
        with judge_calls_recorded(judge_cache) as calls:
            verdicts = scorer.score(row.inputs, row.outputs, row.expectations, row.trace)
        return RowResult(verdicts, calls, (time.perf_counter() - started) * 1000)

    def finish(index: int, result: RowResult | None) -> None:
        results[index] = result if keep or result is None else RAN
        if result is not None and on_done is not None:
            on_done(index, result)

    if workers == 1 or len(rows) <= 1:
        for index in range(len(rows)):
            finish(index, one(index))
        return results
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:

        def submit(index: int) -> concurrent.futures.Future[RowResult | None]:
            # A copy of the caller's context: where traces go while scorers run, and the
            # row's own judge scope, are context variables.
            return pool.submit(contextvars.copy_context().run, one, index)

        # Quick rows go one at a time in this thread: threads cost more than they save for a
        # scorer that computes (the GIL runs one at a time anyway). The first row runs in the
        # pool, watched: still running after 50 ms, the scorer waits on something (a model,
        # another row) and every row goes to the pool at once. Later, two rows in a row slower
        # than 2 ms (one could be a pause for garbage collection) send the rest there too.
        index = 0
        first = submit(0)
        try:
            finish(0, first.result(timeout=_FIRST_ROW_WAIT_MS / 1000))
            index, slow_in_a_row = 1, 0
            while index < len(rows) and slow_in_a_row < _SLOW_ROWS_TO_POOL:
                result = one(index)
                finish(index, result)
                index += 1
                slow = result is not None and result.elapsed_ms >= _SLOW_ROW_MS
                slow_in_a_row = slow_in_a_row + 1 if slow else 0
        except concurrent.futures.TimeoutError:
            pass
        futures = {first: 0} if index == 0 else {}
        futures.update({submit(i): i for i in range(max(index, 1), len(rows))})
        for future in concurrent.futures.as_completed(futures):
            finish(futures[future], future.result())
    return results


def score_all(
    scorers: Sequence[PreparedScorer],
    rows: Sequence[Row],
    *,
    workers: int,
    judge_cache: JudgeCache | None = None,
    on_done: OnDone | None = None,
) -> tuple[list[list[Verdict]], list[list[list[JudgeCall]]]]:
    """Every scorer over every row, one scorer after another: per row, the verdicts of every
    scorer in scorer order; per scorer, each row's model calls."""
    verdicts: list[list[Verdict]] = [[] for _ in rows]
    calls: list[list[list[JudgeCall]]] = []
    for scorer in scorers:
        results = score_rows(
            scorer, rows, workers=workers, judge_cache=judge_cache, on_done=on_done
        )
        per_row: list[list[JudgeCall]] = []
        for row_verdicts, result in zip(verdicts, results, strict=True):
            assert result is not None  # nothing stops it part way
            row_verdicts.extend(result.verdicts)
            per_row.append(result.judge_calls)
        calls.append(per_row)
    return verdicts, calls


async def _score_async(
    scorer: PreparedScorer,
    rows: Sequence[Row],
    workers: int,
    judge_cache: JudgeCache | None,
    on_start: OnStart | None,
    on_done: OnDone | None,
    stopped: Callable[[], bool] | None,
    keep: bool,
) -> list[RowResult | None]:
    results: list[RowResult | None] = [None] * len(rows)
    gate = asyncio.Semaphore(workers)

    async def one(index: int) -> None:
        async with gate:
            if stopped is not None and stopped():
                return
            if on_start is not None:
                on_start(index)
            row = rows[index]
            started = time.perf_counter()
            with judge_calls_recorded(judge_cache) as calls:
                verdicts = await scorer.score_async(
                    row.inputs, row.outputs, row.expectations, row.trace
                )
            result = RowResult(verdicts, calls, (time.perf_counter() - started) * 1000)
            results[index] = result if keep else RAN
            if on_done is not None:
                on_done(index, result)

    await asyncio.gather(*(one(index) for index in range(len(rows))))
    return results
