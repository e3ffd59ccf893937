"""One Ray task of an evaluation: score the traces a few segment files of one group hold.

The task reads those traces from the store itself, at the path the driver uses (so a store
shared by every machine), with their assessments, as `search_traces` gives them; it takes the
scorers from the source text of their files, and scores with the code a local evaluation uses.
It sends back each row's verdicts and model calls, and, when the driver has not read the
traces itself, what it needs of them to record the run and put the rows in search order.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from scorelens.entities import Trace
from scorelens.genai.eval_data import ScoredTrace
from scorelens.genai.labels import Label, labels_of
from scorelens.genai.scorer_pool import Row, score_all
from scorelens.genai.scorer_runs import PreparedScorer, Verdict, scorer_traces_dropped
from scorelens.genai.shipped_scorers import ShippedScorers, unpack
from scorelens.heap import collection_paused, gc_disabled
from scorelens.judging import JudgeCache, JudgeCall
from scorelens.search import StoredSelection
from scorelens.search_filter import key_values, parse_order_by
from scorelens.store import TraceStore

# A row's expectations, or None where they are its trace's own (the common case: not sent).
RowPlan = tuple[int, dict[str, Any] | None]


@dataclass(frozen=True)
class Partition:
    store_root: str
    group: str
    segments: tuple[str, ...]
    # The driver's rows, by trace id (one each, unless a trace is given twice); None: every
    # trace of the segments that `selection` admits, in the order they are stored.
    rows: dict[str, list[RowPlan]] | None
    selection: StoredSelection | None = None

    @property
    def row_count(self) -> int:
        return sum(len(plans) for plans in (self.rows or {}).values())


@dataclass
class PartitionResult:
    indices: list[int]  # the driver's rows scored, in the order below (none: rows=None)
    verdicts: list[list[Verdict]]  # per row, every scorer's, in scorer order
    judge_calls: list[list[list[JudgeCall]]]  # per scorer, per row
    missing: list[str]  # traces of `rows` the segments did not hold
    # With rows=None, per row: the trace as the run records it, and what search orders by;
    # and the human labels the traces carry.
    traces: list[ScoredTrace]
    order_keys: list[tuple[Any, ...]]
    labels: dict[str, dict[str, Label]]


def score_partition(
    shipped: ShippedScorers, partition: Partition, workers: int, cached: bool
) -> PartitionResult:
    """Score the partition's rows with every scorer, as a local evaluation scores them."""
    scorers = [PreparedScorer(s) for s in unpack(shipped)]
    with ExitStack() as stack:
        # Loaded with collection off, then frozen before any collection walks what was
        # loaded: the collections scoring triggers skip the traces, as in a local run.
        with gc_disabled():
            traces, rows, indices, left = _rows(partition)
            stack.enter_context(collection_paused())
        stack.enter_context(scorer_traces_dropped())
        cache = JudgeCache(partition.store_root) if cached else None
        verdicts, calls = score_all(scorers, rows, workers=workers, judge_cache=cache)
        keys = parse_order_by(None)
        return PartitionResult(
            indices,
            verdicts,
            calls,
            sorted(left),
            [ScoredTrace.of(t) for t in traces],
            [key_values(t, keys) for t in traces],
            labels_of({t.trace_id: t.info.assessments for t in traces}),
        )


def _rows(
    partition: Partition,
) -> tuple[list[Trace], list[Row], list[int], dict[str, list[RowPlan]]]:
    """The partition's traces read from the store, and the rows to score: with rows=None, one
    per trace the selection admits (those traces are returned); else the driver's rows (their
    indices are returned, and the traces of `rows` the segments lack)."""
    store = TraceStore(partition.store_root)
    traces = store.load_traces(partition.group, segments=partition.segments)
    if partition.rows is None:
        selection = partition.selection or StoredSelection([partition.group])
        admitted = [t for t in traces if selection.admits(t)]
        return (
            admitted,
            [Row(t.inputs, t.outputs, t.info.expectations, t) for t in admitted],
            [],
            {},
        )
    rows: list[Row] = []
    indices: list[int] = []
    left = dict(partition.rows)
    for trace in traces:
        for index, expectations in left.pop(trace.trace_id, None) or ():
            own = trace.info.expectations if expectations is None else expectations
            rows.append(Row(trace.inputs, trace.outputs, own, trace))
            indices.append(index)
    return [], rows, indices, left
