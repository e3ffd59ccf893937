"""Scoring on Ray: stored traces scored by Ray tasks, each over a few segment files.

Only re-scoring. The store's segment files are the partitions: a task gets the store's path,
one group and some of its segments, and the scorers as the source text of their files
(shipped_scorers); it reads its traces itself (ray_task), so no trace crosses the network. Two
ways in:

- `RayScoring(...)(rows, ...)`, the engine `evaluate(..., engine="ray")` calls: the rows are
  the caller's (each trace found in the store first); a task is told which of its traces to
  score, and a row's expectations where they are not its trace's own; its results are put
  back in row order.
- `RayScoring.score_stored(selection, ...)`, for `scorelens score --engine ray`: every trace of
  the selection, which this process never reads; the tasks send back what recording the run
  needs of each trace, and the rows are put in the order `search_traces` gives.

Either way evaluation.py records the results as a local run's. A task opens the judge-call
cache at the same store path, so every worker answers from, and adds to, the one cache.

Ray is an optional extra, imported only when this engine is used. Without an address (nor
RAY_ADDRESS) a local Ray starts, quietly and without its dashboard; with one, it is connected
to. A process already connected to Ray keeps that connection.
"""

from __future__ import annotations

import logging
import math
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scorelens.genai.eval_data import EvalRow, ScoredTrace
from scorelens.genai.labels import Label
from scorelens.genai.ray_task import Partition, PartitionResult, RowPlan, score_partition
from scorelens.genai.scorer_runs import PreparedScorer, Verdict
from scorelens.genai.scorers import Scorer
from scorelens.genai.shipped_scorers import ship
from scorelens.heap import gc_disabled
from scorelens.judging import JudgeCache, JudgeCall
from scorelens.search import StoredSelection
from scorelens.search_filter import order_of, parse_order_by
from scorelens.store import TraceStore, group_of
from scorelens.user_modules import UserCodeError

if TYPE_CHECKING:
    from ray import ObjectRef

ProgressCallback = Callable[[int, int], None]
INSTALL_HINT = 'pip install "scorelens[ray]"'
ADDRESS_ENV = "RAY_ADDRESS"
# Enough tasks per CPU that one slow partition does not leave the others idle at the end, few
# enough that each still scores thousands of rows; a partition is never less than a segment.
_TASKS_PER_CPU = 4
_MIN_PARTITION_ROWS = 500
_MIN_PARTITION_BYTES = 1 << 20
_CONNECT_TIMEOUT_S = 5.0


class RayEngineError(ValueError):
    """Ray is missing or unreachable, or the rows cannot be scored there: one line says which."""


@dataclass
class StoredScores:
    """What Ray tasks made of the stored traces of a selection, in search order."""

    traces: list[ScoredTrace]
    labels: dict[str, dict[str, Label]]  # trace id -> scorer -> the human label
    verdicts: list[list[Verdict]]  # per row, every scorer's, in scorer order
    judge_calls: list[list[list[JudgeCall]]]  # per scorer, per row


class RayScoring:
    """The engine evaluation.py calls: its scorers shipped, Ray connected (so that a scorer
    without a file, or a cluster out of reach, fails before any run is recorded)."""

    def __init__(self, scorers: Sequence[Scorer], address: str | None) -> None:
        self._shipped = ship(scorers)
        connect(address)

    def __call__(
        self,
        rows: list[EvalRow],
        scorers: Sequence[PreparedScorer],
        progress: Callable[[int], None],
        workers: int,
        cache: JudgeCache | None,
        store: TraceStore,
    ) -> tuple[list[list[Verdict]], list[list[list[JudgeCall]]]]:
        """Per row, every scorer's verdicts in scorer order; per scorer, each row's model
        calls: what a local run gives, scored by Ray tasks."""
        verdicts: list[list[Verdict]] = [[] for _ in rows]
        calls: list[list[list[JudgeCall]]] = [[[] for _ in rows] for _ in scorers]
        finished = 0
        partitions = plan(rows, store, _cpus())
        for number, result in self._run(partitions, workers, cache is not None):
            part = partitions[number]
            if result.missing:
                raise RayEngineError(
                    f"trace {result.missing[0]} is no longer in {part.group} of the store at "
                    f"{part.store_root}"
                )
            for position, index in enumerate(result.indices):
                verdicts[index] = result.verdicts[position]
                for per_row, from_task in zip(calls, result.judge_calls, strict=True):
                    per_row[index] = from_task[position]
            finished += len(result.indices)
            progress(finished)
        return verdicts, calls

    def score_stored(
        self,
        selection: StoredSelection,
        scorers: Sequence[PreparedScorer],
        progress: ProgressCallback,
        workers: int,
        cache: JudgeCache | None,
        store: TraceStore,
    ) -> StoredScores:
        """Score the traces `selection` admits, read by the tasks alone: this process reads
        no trace. `progress(done, total)`: total is estimated from the bytes read so far."""
        planned = plan_stored(selection, store, _cpus())
        total_bytes = sum(size for _, size in planned)
        found = StoredScores([], {}, [], [[] for _ in scorers])
        keys: list[tuple[Any, ...]] = []
        done_bytes = 0
        partitions = [part for part, _ in planned]
        for number, result in self._run(partitions, workers, cache is not None):
            found.traces += result.traces
            found.labels.update(result.labels)
            found.verdicts += result.verdicts
            for per_row, from_task in zip(found.judge_calls, result.judge_calls, strict=True):
                per_row += from_task
            keys += result.order_keys
            done_bytes += planned[number][1]
            done = len(found.traces)
            progress(done, round(done * total_bytes / done_bytes) if done_bytes else done)
        order = order_of(keys, parse_order_by(None))
        progress(len(order), len(order))
        return StoredScores(
            [found.traces[i] for i in order],
            found.labels,
            [found.verdicts[i] for i in order],
            [[per_row[i] for i in order] for per_row in found.judge_calls],
        )

    def _run(
        self, partitions: list[Partition], workers: int, cached: bool
    ) -> Iterator[tuple[int, PartitionResult]]:
        """Each partition's task's result, with the partition's position, as they finish."""
        import ray  # connected in __init__

        shipped = ray.put(self._shipped)
        task = ray.remote(score_partition)
        pending = {
            task.remote(shipped, part, workers, cached): number
            for number, part in enumerate(partitions)
        }
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                number = pending.pop(ready[0])
                yield number, _result(ready[0])
        finally:
            # Ctrl-C or a failed task: the others would go on scoring for nobody.
            for ref in pending:
                ray.cancel(ref)


def plan(rows: list[EvalRow], store: TraceStore, cpus: int) -> list[Partition]:
    """The rows as partitions of whole segment files of one group each, in store order."""
    by_trace: dict[str, list[RowPlan]] = {}
    groups: dict[str, None] = {}
    for index, row in enumerate(rows):
        trace = row.trace
        assert trace is not None  # evaluation stores a trace for every row before scoring
        own = row.expectations is trace.info.expectations
        by_trace.setdefault(trace.trace_id, []).append((index, None if own else row.expectations))
        groups.setdefault(group_of(trace), None)
    located = store.locate_segments(by_trace, groups)
    absent = [t for t in by_trace if t not in located]
    if absent:
        raise RayEngineError(
            f"engine='ray' re-scores traces from the store, and {len(absent)} of the rows' "
            f"traces are not in the store at {store.root} (first: {absent[0]}); store them "
            "first, or score with the local engine"
        )
    by_group: dict[str, dict[str, dict[str, list[RowPlan]]]] = {}
    for trace_id, plans in by_trace.items():
        group, segment = located[trace_id]
        by_group.setdefault(group, {}).setdefault(segment, {})[trace_id] = plans
    target = max(_MIN_PARTITION_ROWS, math.ceil(len(rows) / (cpus * _TASKS_PER_CPU)))
    partitions: list[Partition] = []
    for group in sorted(by_group):
        segments: list[str] = []
        wanted: dict[str, list[RowPlan]] = {}
        count = 0
        by_segment = by_group[group]
        for number, segment in enumerate(sorted(by_segment), start=1):
            segments.append(segment)
            wanted.update(by_segment[segment])
            count += sum(len(plans) for plans in by_segment[segment].values())
            if count >= target or number == len(by_segment):
                partitions.append(Partition(store.root, group, tuple(segments), wanted))
                segments, wanted, count = [], {}, 0
    return partitions


def plan_stored(
    selection: StoredSelection, store: TraceStore, cpus: int
) -> list[tuple[Partition, int]]:
    """The selection's segment files as partitions of one group each, with their sizes: of
    about equal bytes, which is what reading and scoring them costs."""
    sized = {
        group: [(name, store.segment_size(group, name)) for name in store.segment_names(group)]
        for group in selection.groups
    }
    total = sum(size for segments in sized.values() for _, size in segments)
    target = max(_MIN_PARTITION_BYTES, math.ceil(total / (cpus * _TASKS_PER_CPU)))
    partitions: list[tuple[Partition, int]] = []
    for group, segments in sized.items():
        chosen: list[str] = []
        size = 0
        for number, (name, bytes_) in enumerate(segments, start=1):
            chosen.append(name)
            size += bytes_
            if size >= target or number == len(segments):
                part = Partition(store.root, group, tuple(chosen), None, selection)
                partitions.append((part, size))
                chosen, size = [], 0
    return partitions


def connect(address: str | None) -> None:
    """Connect this process to Ray: to `address` (else RAY_ADDRESS), else to a new local Ray;
    a process already connected stays as it is."""
    try:
        import ray
    except ImportError:
        raise RayEngineError(f"scoring on Ray needs Ray: {INSTALL_HINT}") from None
    address = address or os.environ.get(ADDRESS_ENV) or None
    if address not in (None, "auto", "local"):
        _check_reachable(address)
    if ray.is_initialized():
        return
    try:
        if address is None:
            # "local": never join some other Ray found running on this machine.
            ray.init(address="local", include_dashboard=False, logging_level=logging.ERROR)
        else:
            ray.init(address=address, logging_level=logging.ERROR)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = "a local Ray" if address is None else f"Ray at {address}"
        raise RayEngineError(f"cannot start {where}: {_first_line(exc)}") from None


def _check_reachable(address: str) -> None:
    """Fail in seconds, not after Ray's minutes of retries, when nothing answers there."""
    host_port = address.removeprefix("ray://")
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit():
        raise RayEngineError(
            f"Ray address {address!r} should look like host:port or ray://host:port"
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), _CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise RayEngineError(f"cannot reach a Ray cluster at {address}: {reason}") from None


def _cpus() -> int:
    import ray

    # Typed here: Ray leaves cluster_resources unannotated.
    resources: Callable[[], dict[str, float]] = ray.cluster_resources
    return max(1, int(resources().get("CPU", 1)))


def _result(ref: ObjectRef[PartitionResult]) -> PartitionResult:
    """The task's result; what made it fail, as one line, when it failed."""
    import ray

    try:
        # Rebuilding a task's results makes tens of thousands of objects, none in a cycle.
        with gc_disabled():
            return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = exc.cause
        if isinstance(cause, UserCodeError):
            raise UserCodeError(f"on a Ray worker: {cause}") from None
        raise RayEngineError(
            f"a Ray task failed: {type(cause).__name__}: {_first_line(cause)}"
        ) from None
    except ray.exceptions.RayError as exc:  # a worker lost, out of memory, ...
        raise RayEngineError(f"a Ray task failed: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
