"""`evaluate`: run an app over eval data (recording traces) and/or score traces."""

from __future__ import annotations

import functools
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, ParamSpec, TypeVar

import pandas as pd

from scorelens import tracking
from scorelens.entities import Feedback, Span, SpanType, Trace, TraceInfo
from scorelens.genai.aggregations import aggregate
from scorelens.genai.eval_data import EvalRow, flag_unserializable, stored_expectations, to_rows
from scorelens.genai.scorers import Scorer
from scorelens.store import TraceStore, group_of
from scorelens.tracing.context import TraceDestination, trace_destination
from scorelens.tracing.decorator import TRACED_MARKER, start_span
from scorelens.tracing.serialize import to_jsonable

ProgressCallback = Callable[[int, int], None]

_WRITE_BATCH = 1000
_WRITE_INTERVAL_S = 2.0


@dataclass
class EvaluationResult:
    run_id: str
    metrics: dict[str, float]
    result_df: pd.DataFrame

    def __repr__(self) -> str:
        return f"EvaluationResult(run_id={self.run_id!r}, metrics={self.metrics!r})"


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _sigterm_ends_the_run(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """While `fn` runs, SIGTERM ends it as Ctrl-C does: run marked FAILED, finished rows kept.

    SIGTERM's default action kills the process on the spot, leaving its run RUNNING forever.
    Here it raises SystemExit(143), the status SIGTERM gives, so `evaluate` can record the run's
    end; only on the main thread (where Python runs signal handlers) and when no one else
    handles SIGTERM. A second SIGTERM kills at once.
    """

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if (
            threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        ):
            return fn(*args, **kwargs)

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, on_sigterm)
        try:
            return fn(*args, **kwargs)
        finally:
            if signal.getsignal(signal.SIGTERM) is on_sigterm:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return wrapper


@_sigterm_ends_the_run
def evaluate(
    data: Any,
    scorers: Sequence[Scorer] = (),
    predict_fn: Callable[..., Any] | None = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> EvaluationResult:
    """Score `data` with `scorers`; with `predict_fn`, first call it once per row, tracing it.

    Without `predict_fn`, rows that carry traces are re-scored as stored: the app is not run and
    no trace is added. Scorer failures are recorded per row and summarised, never raised.
    """
    for item in scorers:
        if not isinstance(item, Scorer):
            raise TypeError(f"{item!r} is not a scorer; decorate it with @scorer")
    rows = to_rows(data)
    store = tracking.get_store()
    experiment_id = tracking.current_experiment_id()
    run = store.create_run(
        experiment_id,
        kind="evaluation",
        name=getattr(predict_fn, "__name__", None) or "evaluation",
        params={
            "predict_fn": getattr(predict_fn, "__qualname__", None),
            "scorers": [s.name for s in scorers],
            "rows": len(rows),
        },
    )
    run_id = run["run_id"]
    total_steps = len(rows) * (2 if predict_fn is not None else 1)
    progress = on_progress or (lambda done, total: None)
    try:
        if predict_fn is not None:
            _run_app(rows, predict_fn, store, experiment_id, run_id, progress, total_steps)
        else:
            _attach_missing_traces(rows, store, experiment_id, run_id)
        offset = len(rows) if predict_fn is not None else 0
        feedback = _score(rows, scorers, lambda done: progress(offset + done, total_steps))
        _save_feedback(store, rows, feedback)
        metrics = _metrics(scorers, feedback)
    except BaseException:
        store.update_run(run_id, status="FAILED", end_time=time.time_ns() // 1_000_000)
        raise
    sources = sorted(
        {r.trace.info.run_id for r in rows if r.trace and r.trace.info.run_id} - {run_id}
    )
    store.update_run(
        run_id,
        status="FINISHED",
        end_time=time.time_ns() // 1_000_000,
        metrics=metrics,
        source_run_ids=sources,
    )
    _print_failures(scorers, feedback, rows)
    return EvaluationResult(run_id, metrics, _result_frame(rows, scorers, feedback))


def _run_app(
    rows: list[EvalRow],
    predict_fn: Callable[..., Any],
    store: TraceStore,
    experiment_id: str,
    run_id: str,
    progress: Callable[[int, int], None],
    total_steps: int,
) -> None:
    collected: list[Trace] = []
    destination = TraceDestination(collected.append, experiment_id, run_id)
    already_traced = getattr(predict_fn, TRACED_MARKER, False)
    unsaved: list[Trace] = []
    last_write = time.monotonic()
    for number, row in enumerate(rows, start=1):
        if not isinstance(row.inputs, dict):
            raise ValueError(
                f"data row {number}: 'inputs' must be a dict of predict_fn arguments, "
                f"got {type(row.inputs).__name__}"
            )
    try:
        for number, row in enumerate(rows, start=1):
            with trace_destination(destination):
                _call_once(predict_fn, row.inputs, already_traced)
            if len(collected) != 1:
                raise RuntimeError(f"predict_fn produced {len(collected)} traces for row {number}")
            trace = collected.pop()
            trace.info.expectations = stored_expectations(trace.root_span, row.expectations)
            row.trace, row.outputs, row.has_outputs = trace, trace.outputs, True
            unsaved.append(trace)
            # Batches keep memory flat and bound what an interrupted run can lose.
            if len(unsaved) >= _WRITE_BATCH or time.monotonic() - last_write > _WRITE_INTERVAL_S:
                store.append_traces(unsaved)
                unsaved, last_write = [], time.monotonic()
            progress(number, total_steps)
    finally:
        # Even on Ctrl-C, the traces already made are kept.
        store.append_traces(unsaved)


def _call_once(predict_fn: Callable[..., Any], inputs: dict[str, Any], traced: bool) -> None:
    # One call per row, whatever happens: the trace records a failure, the loop goes on.
    try:
        if traced:
            predict_fn(**inputs)
        else:
            with start_span(getattr(predict_fn, "__name__", "predict"), SpanType.CHAIN) as span:
                span.set_inputs(inputs)
                span.set_outputs(predict_fn(**inputs))
    except Exception:
        pass


def _attach_missing_traces(
    rows: list[EvalRow], store: TraceStore, experiment_id: str, run_id: str
) -> None:
    """Rows given as plain inputs/outputs get a one-span trace, so every result has a trace id."""
    made: list[Trace] = []
    now = time.time_ns()
    for number, row in enumerate(rows, start=1):
        if row.trace is not None:
            continue
        if not row.has_outputs:
            raise ValueError(
                f"data row {number} has no 'outputs' and no 'trace'; "
                "pass predict_fn to generate them"
            )
        trace = _static_trace(row, experiment_id, run_id, now)
        row.trace = trace
        made.append(trace)
    store.append_traces(made)


def _static_trace(row: EvalRow, experiment_id: str, run_id: str, now_ns: int) -> Trace:
    trace_id = "tr-" + uuid.uuid4().hex
    inputs, flagged_inputs = to_jsonable(row.inputs)
    outputs, flagged_outputs = to_jsonable(row.outputs)
    root = Span(
        trace_id=trace_id,
        span_id=uuid.uuid4().hex[:16],
        parent_id=None,
        name="static_data",
        span_type=SpanType.UNKNOWN.value,
        start_time_ns=now_ns,
        end_time_ns=now_ns,
        status="OK",
        inputs=inputs,
        outputs=outputs,
    )
    flag_unserializable(root, "inputs", flagged_inputs)
    flag_unserializable(root, "outputs", flagged_outputs)
    info = TraceInfo(
        trace_id=trace_id,
        experiment_id=experiment_id,
        run_id=run_id,
        request_time=now_ns // 1_000_000,
        execution_duration=0,
        expectations=stored_expectations(root, row.expectations),
    )
    return Trace(info, [root])


def _score(
    rows: list[EvalRow], scorers: Sequence[Scorer], progress: Callable[[int], None]
) -> list[list[Feedback]]:
    """Per row, the flat list of feedback from every scorer."""
    out: list[list[Feedback]] = []
    for done, row in enumerate(rows, start=1):
        row_feedback: list[Feedback] = []
        for item in scorers:
            row_feedback.extend(
                item.run(
                    inputs=row.inputs,
                    outputs=row.outputs,
                    expectations=row.expectations,
                    trace=row.trace,
                )
            )
        out.append(row_feedback)
        progress(done)
    return out


def _save_feedback(store: TraceStore, rows: list[EvalRow], feedback: list[list[Feedback]]) -> None:
    by_group: dict[str, dict[str, list[Feedback]]] = {}
    for row, items in zip(rows, feedback, strict=True):
        if row.trace is not None and items:
            by_group.setdefault(group_of(row.trace), {})[row.trace.trace_id] = items
    for group, items_by_trace in by_group.items():
        store.save_assessments(group, items_by_trace)


def _feedback_names(scorers: Sequence[Scorer], feedback: list[list[Feedback]]) -> list[str]:
    """Column names in scorer order; a scorer returning several Feedback adds several."""
    names: list[str] = [s.name for s in scorers]
    for items in feedback:
        for item in items:
            if item.name is not None and item.name not in names:
                names.append(item.name)
    return names


def _metrics(scorers: Sequence[Scorer], feedback: list[list[Feedback]]) -> dict[str, float]:
    aggregations_of = {s.name: s.aggregations for s in scorers}
    values: dict[str, list[Any]] = {}
    owner: dict[str, str] = {}
    for items in feedback:
        for item in items:
            if item.error is None and item.name is not None:
                values.setdefault(item.name, []).append(item.value)
                owner.setdefault(item.name, item.name.split("/")[0])
    metrics: dict[str, float] = {}
    for name, seen in values.items():
        aggs = aggregations_of.get(owner[name]) or aggregations_of.get(name) or ["mean"]
        for agg_name, figure in aggregate(seen, aggs).items():
            metrics[f"{name}/{agg_name}"] = figure
    return metrics


def _print_failures(
    scorers: Sequence[Scorer], feedback: list[list[Feedback]], rows: list[EvalRow]
) -> None:
    failures: dict[str, list[tuple[str, str]]] = {}
    for row, items in zip(rows, feedback, strict=True):
        trace_id = row.trace.trace_id if row.trace else "?"
        for item in items:
            if item.error is not None:
                failures.setdefault(item.name or "?", []).append((trace_id, item.error))
    for name in _feedback_names(scorers, feedback):
        failed = failures.get(name)
        if not failed:
            continue
        trace_id, message = failed[0]
        message = message.removeprefix(f"scorer '{name}' ")
        print(
            f"scorelens: scorer '{name}' failed on {len(failed)} of {len(rows)} traces: "
            f"{message} (first: {trace_id})",
            file=sys.stderr,
        )


def _result_frame(
    rows: list[EvalRow], scorers: Sequence[Scorer], feedback: list[list[Feedback]]
) -> pd.DataFrame:
    names = _feedback_names(scorers, feedback)
    columns: dict[str, list[Any]] = {
        "trace_id": [r.trace.trace_id if r.trace else None for r in rows],
        "inputs": [r.inputs for r in rows],
        "outputs": [r.outputs for r in rows],
        "expectations": [r.expectations for r in rows],
        "trace": [r.trace for r in rows],
    }
    for name in names:
        by_row = [{f.name: f for f in items}.get(name) for items in feedback]
        columns[f"{name}/value"] = [f.value if f else None for f in by_row]
        columns[f"{name}/rationale"] = [f.rationale if f else None for f in by_row]
        columns[f"{name}/error"] = [f.error if f else None for f in by_row]
    frame: pd.DataFrame = pd.DataFrame(columns)
    return frame
