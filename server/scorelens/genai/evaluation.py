"""`evaluate`: run an app over eval data (recording traces) and/or score traces, as MLflow does.

`generate_traces` is ScoreLens's own step before scoring: it runs the app over the rows and
records one trace per row, under a run, with no scorers (`scorelens generate`, the editor's
Generate Traces). MLflow's public `evaluate` always takes scorers.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar, overload

from scorelens import tracking
from scorelens.entities import Feedback, Span, SpanType, Trace, TraceInfo
from scorelens.fluent import set_active_model
from scorelens.genai import ray_engine
from scorelens.genai.aggregations import DEFAULT_AGGREGATIONS, aggregate
from scorelens.genai.agreement import Agreement, agreement, agreement_metrics
from scorelens.genai.eval_data import (
    EvalRow,
    ScoredTrace,
    flag_unserializable,
    stored_expectations,
    to_rows,
)
from scorelens.genai.labels import Label, labels_of
from scorelens.genai.result_frame import result_frame
from scorelens.genai.scorer_pool import Row, score_all
from scorelens.genai.scorer_pool import max_workers as max_workers_of
from scorelens.genai.scorer_runs import PreparedScorer, Verdict, scorer_traces_dropped
from scorelens.genai.scorers import Scorer
from scorelens.heap import collection_paused, gc_disabled
from scorelens.judging import JudgeCache, JudgeCall, judge_cache_enabled
from scorelens.search import StoredSelection
from scorelens.store import TraceStore
from scorelens.tracing.constant import AssessmentMetadataKey, TraceMetadataKey, TraceTagKey
from scorelens.tracing.context import TraceDestination, active_model_id, trace_destination
from scorelens.tracing.decorator import TRACED_MARKER, trace
from scorelens.tracing.serialize import to_jsonable
from scorelens.tracing.span_data import SpanData

if TYPE_CHECKING:
    import pandas as pd

ProgressCallback = Callable[[int, int], None]

_WRITE_BATCH = 1000
_WRITE_INTERVAL_S = 2.0
# MLflow's name for the one span of a row given as inputs and outputs, without an app.
STATIC_ROOT_SPAN = "root_span"


class EvaluationResult:
    """`run_id`, `metrics` ({"<name>/<aggregation>": figure}) and `result_df`, as MLflow's.

    `result_df` has a row per trace: `trace_id`, then `<name>/value` (and `<name>/rationale`,
    `<name>/error_message` where any row has one) for each Feedback and expectation, then the
    columns of `search_traces`. `evaluate` builds it when it is first read: callers that want
    only the metrics do not pay for serializing every trace into it.
    """

    def __init__(self, run_id: str, metrics: dict[str, float], result_df: pd.DataFrame) -> None:
        self.run_id = run_id
        self.metrics = metrics
        self._result_df: pd.DataFrame | None = result_df
        self._build: Callable[[], pd.DataFrame] | None = None

    @classmethod
    def _deferred(
        cls, run_id: str, metrics: dict[str, float], build: Callable[[], pd.DataFrame]
    ) -> EvaluationResult:
        made = cls.__new__(cls)
        made.run_id, made.metrics, made._result_df, made._build = run_id, metrics, None, build
        return made

    @property
    def result_df(self) -> pd.DataFrame:
        if self._result_df is None:
            assert self._build is not None
            with collection_paused():
                self._result_df = self._build()
            self._build = None
        return self._result_df

    @result_df.setter
    def result_df(self, frame: pd.DataFrame) -> None:
        self._result_df, self._build = frame, None

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """MLflow's older name for the result frame: {"eval_results": result_df}."""
        return {"eval_results": self.result_df}

    def __repr__(self) -> str:
        metrics = "\n    ".join(f"{k}: {v}" for k, v in self.metrics.items())
        frame = self.result_df
        return (
            "EvaluationResult(\n"
            f"  run_id: {self.run_id}\n"
            "  metrics:\n"
            f"    {metrics}\n"
            f"  result_df: {len(frame)} rows x {len(frame.columns)} cols\n"
            ")"
        )


@dataclass
class GeneratedTraces:
    """What `generate_traces` recorded: the run, and one trace per row in row order."""

    run_id: str
    traces: list[Trace]

    @property
    def failed(self) -> list[Trace]:
        return [t for t in self.traces if t.info.state == "ERROR"]


@dataclass
class Evaluation:
    """What `run_evaluation` did, for ScoreLens's own callers: the result and every verdict."""

    result: EvaluationResult
    rows: Sequence[EvalRow]
    verdicts: list[list[Verdict]]  # per row, in scorer order
    # Per scorer name, the model calls its rows made (see scorelens.judging), in row order.
    judge_calls: dict[str, list[JudgeCall]] = field(default_factory=dict)
    # Per Feedback name, how it agrees with the human labels the scored traces carry.
    agreements: dict[str, Agreement] = field(default_factory=dict)
    # Per scorer name and trace id, the model calls of its result on that trace, as the
    # CHAT_MODEL spans the editor shows (JudgeCall.to_span); traces without calls left out.
    judge_spans: dict[str, dict[str, list[SpanData]]] = field(default_factory=dict)

    def feedback_names(self) -> list[str]:
        """Every Feedback name the scorers gave, in scorer order, each once."""
        names: dict[str, None] = {}
        for items in self.verdicts:
            for verdict in items:
                names.setdefault(verdict.feedback.name, None)
        return list(names)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _sigterm_ends_the_run(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """While `fn` runs, SIGTERM ends it as Ctrl-C does: run marked FAILED, finished rows kept.

    SIGTERM's default action kills the process on the spot, leaving its run RUNNING forever.
    Here it raises SystemExit(143), the status SIGTERM gives, so the run's end is recorded; only
    on the main thread (where Python runs signal handlers) and when no one else handles SIGTERM.
    A second SIGTERM kills at once.
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


def validate_scorers(scorers: Any) -> list[Scorer]:
    """MLflow's check of `scorers`: a list, every item a Scorer; same messages."""
    if not isinstance(scorers, list):
        raise ValueError(
            "The `scorers` argument must be a list of scorers. If you are unsure about which "
            "scorer to use, you can specify `scorers=mlflow.genai.scorers.get_all_scorers()` "
            "to jump start with all available built-in scorers."
        )
    for item in scorers:
        if not isinstance(item, Scorer):
            raise ValueError(
                "The `scorers` argument must be a list of scorers. The specified list contains "
                f"an invalid item with type: {type(item).__name__}."
            )
    return scorers


def evaluate(
    data: Any,
    scorers: list[Scorer],
    predict_fn: Callable[..., Any] | None = None,
    model_id: str | None = None,
    *,
    max_workers: int | None = None,
    engine: str = "local",
    ray_address: str | None = None,
) -> EvaluationResult:
    """Score `data` with `scorers`; with `predict_fn`, first call it once per row, tracing it.

    `data` is a list of dicts (`inputs`, `outputs`, `expectations`, `trace`), a DataFrame (one
    from `search_traces` too) or a list of Trace. Without `predict_fn`, rows that carry traces
    are re-scored as stored: the app is not run and no trace is added; rows of inputs and
    outputs get a one-span trace. Scorer failures are recorded per row and summarised on
    stderr, never raised. `model_id` (a model `set_active_model` made) is the active model
    meanwhile, so the traces this call records carry it in their metadata.

    Each scorer scores up to `max_workers` rows at once (default SCORELENS_MAX_WORKERS, else
    10, as MLflow's MLFLOW_GENAI_EVAL_MAX_WORKERS); `async def` scorers are awaited on one
    event loop. Results keep row order. Re-scoring (no `predict_fn`), a scorer's model calls
    are answered from the store's judge-call cache when it holds them (off with
    SCORELENS_JUDGE_CACHE=off); the app's own calls never are.

    When the scored traces carry human labels for a scorer (HUMAN feedback of its name, see
    scorelens.genai.labels), `metrics` gains `<name>/agreement` and, for pass/fail labels,
    `<name>/fail_precision` and `<name>/fail_recall` where defined.

    `engine="ray"` re-scores on Ray (`pip install "scorelens[ray]"`; see
    scorelens.genai.ray_engine): Ray tasks read the rows' traces from the store and score them,
    with the same results as here. Every row's trace must be in the store (rows of inputs and
    outputs are stored first, as here), scorers must be defined in a .py file, and there is no
    `predict_fn`. It connects to `ray_address` (else RAY_ADDRESS), else starts a local Ray.
    """
    return run_evaluation(
        data,
        validate_scorers(scorers),
        predict_fn,
        model_id,
        max_workers=max_workers,
        engine=engine,
        ray_address=ray_address,
    ).result


@_sigterm_ends_the_run
def run_evaluation(
    data: Any,
    scorers: list[Scorer],
    predict_fn: Callable[..., Any] | None = None,
    model_id: str | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    max_workers: int | None = None,
    judge_cache: bool | None = None,
    engine: str = "local",
    ray_address: str | None = None,
) -> Evaluation:
    """`evaluate` for ScoreLens's own callers: progress reports, every verdict and model call
    back, and the judge-call cache turned on or off (None: on when re-scoring, unless
    SCORELENS_JUDGE_CACHE=off)."""
    workers = max_workers_of(max_workers)
    scoring = _engine(engine, ray_address, predict_fn, scorers)
    with collection_paused():
        return _run_evaluation(
            data,
            scorers,
            predict_fn,
            model_id,
            on_progress or _no_progress,
            workers,
            predict_fn is None and judge_cache_enabled(judge_cache),
            scoring,
        )


class _Engine(Protocol):
    """Scores the rows: per row, every scorer's verdicts in scorer order; per scorer, each
    row's model calls."""

    def __call__(
        self,
        rows: list[EvalRow],
        scorers: Sequence[PreparedScorer],
        progress: Callable[[int], None],
        workers: int,
        cache: JudgeCache | None,
        store: TraceStore,
    ) -> tuple[list[list[Verdict]], list[list[list[JudgeCall]]]]: ...


def _engine(
    engine: str,
    ray_address: str | None,
    predict_fn: Callable[..., Any] | None,
    scorers: Sequence[Scorer],
) -> _Engine:
    if engine == "local":
        if ray_address is not None:
            raise ValueError("ray_address is for engine='ray'")
        return _score
    if engine != "ray":
        raise ValueError(f"engine must be 'local' or 'ray', not {engine!r}")
    if predict_fn is not None:
        raise ValueError(
            "engine='ray' re-scores stored traces and cannot run predict_fn; record the traces "
            "first (generate_traces, or evaluate with predict_fn on the local engine), then "
            "re-score them on Ray"
        )
    return ray_engine.RayScoring(scorers, ray_address)


def _run_evaluation(
    data: Any,
    scorers: list[Scorer],
    predict_fn: Callable[..., Any] | None,
    model_id: str | None,
    progress: ProgressCallback,
    workers: int,
    cached: bool,
    scoring: _Engine,
) -> Evaluation:
    rows = to_rows(data)
    prepared = [PreparedScorer(s) for s in scorers]
    total_steps = len(rows) * (2 if predict_fn is not None else 1)
    params = {
        "predict_fn": getattr(predict_fn, "__qualname__", None),
        "scorers": [s.name for s in scorers],
        "rows": len(rows),
        "model_id": model_id,
    }
    name = getattr(predict_fn, "__name__", None) or "evaluation"
    with _evaluation_run(name, params, model_id) as (store, experiment_id, run_id):
        if predict_fn is not None:
            _run_app(rows, predict_fn, store, experiment_id, run_id, progress, total_steps)
        else:
            _attach_missing_traces(rows, store, experiment_id, run_id)
        offset = len(rows) if predict_fn is not None else 0
        verdicts, calls = scoring(
            rows,
            prepared,
            lambda done: progress(offset + done, total_steps),
            workers,
            JudgeCache(store.root) if cached else None,
            store,
        )
        scored = [None if r.trace is None else ScoredTrace.of(r.trace) for r in rows]
        labels = labels_of({r.trace.trace_id: r.trace.info.assessments for r in rows if r.trace})
        metrics, agreements = _record(store, run_id, scorers, scored, labels, verdicts)
    _print_failures(scorers, verdicts, scored)
    result = EvaluationResult._deferred(run_id, metrics, lambda: result_frame(rows, verdicts))
    judge_calls = _judge_calls_by_name(prepared, calls)
    trace_ids = [None if r.trace is None else r.trace.trace_id for r in rows]
    spans = _judge_spans_by_name(prepared, calls, trace_ids)
    return Evaluation(result, rows, verdicts, judge_calls, agreements, spans)


@_sigterm_ends_the_run
def rescore_on_ray(
    selection: StoredSelection,
    scorers: list[Scorer],
    *,
    on_progress: ProgressCallback | None = None,
    max_workers: int | None = None,
    judge_cache: bool | None = None,
    ray_address: str | None = None,
) -> Evaluation:
    """Re-score on Ray the stored traces of `selection` (see `search.stored_selection`) without
    reading them here: only the tasks do, where they score them. The same run, results and
    row order as `run_evaluation(search_traces(...), scorers, engine="ray")`, without the
    time this process would spend loading every trace. `rows` (and `result_df`) are read from
    the store when first asked for, holding this run's results among their assessments.
    """
    workers = max_workers_of(max_workers)
    scoring = ray_engine.RayScoring(scorers, ray_address)
    prepared = [PreparedScorer(s) for s in scorers]
    params: dict[str, Any] = {
        "predict_fn": None,
        "scorers": [s.name for s in scorers],
        "rows": None,
        "model_id": None,
    }
    with collection_paused(), _evaluation_run("evaluation", params, None) as (store, _, run_id):
        cache = JudgeCache(store.root) if judge_cache_enabled(judge_cache) else None
        scores = scoring.score_stored(
            selection, prepared, on_progress or _no_progress, workers, cache, store
        )
        params["rows"] = len(scores.traces)
        metrics, agreements = _record(
            store, run_id, scorers, scores.traces, scores.labels, scores.verdicts, params=params
        )
    _print_failures(scorers, scores.verdicts, scores.traces)
    rows = _RowsFromStore(store, selection.groups, [t.trace_id for t in scores.traces])
    verdicts = scores.verdicts
    result = EvaluationResult._deferred(run_id, metrics, lambda: result_frame(list(rows), verdicts))
    judge_calls = _judge_calls_by_name(prepared, scores.judge_calls)
    trace_ids = [t.trace_id for t in scores.traces]
    spans = _judge_spans_by_name(prepared, scores.judge_calls, trace_ids)
    return Evaluation(result, rows, verdicts, judge_calls, agreements, spans)


class _RowsFromStore(Sequence[EvalRow]):
    """An evaluation's rows, read from the store when first asked for."""

    def __init__(self, store: TraceStore, groups: list[str], trace_ids: list[str]) -> None:
        self._store, self._groups, self._trace_ids = store, groups, trace_ids
        self._rows: list[EvalRow] | None = None

    def _read(self) -> list[EvalRow]:
        if self._rows is None:
            wanted = set(self._trace_ids)
            by_id = {
                t.trace_id: t
                for group in self._groups
                for t in self._store.load_traces(group)
                if t.trace_id in wanted
            }
            self._rows = to_rows([by_id[trace_id] for trace_id in self._trace_ids])
        return self._rows

    def __len__(self) -> int:
        return len(self._trace_ids)

    @overload
    def __getitem__(self, index: int) -> EvalRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[EvalRow]: ...
    def __getitem__(self, index: int | slice) -> EvalRow | Sequence[EvalRow]:
        return self._read()[index]


def _record(
    store: TraceStore,
    run_id: str,
    scorers: Sequence[Scorer],
    scored: Sequence[ScoredTrace | None],
    labels: dict[str, dict[str, Label]],
    verdicts: list[list[Verdict]],
    **run_fields: Any,
) -> tuple[dict[str, float], dict[str, Agreement]]:
    """Store the Feedback, work out the metrics (agreement with `labels` included) and mark
    the run FINISHED with them; returns the metrics and the agreements."""
    _save_feedback(store, scored, verdicts, run_id)
    metrics = _metrics(scorers, verdicts)
    agreements = _agreements(scorers, scored, labels, verdicts)
    for feedback_name, found in agreements.items():
        metrics.update(agreement_metrics(feedback_name, found))
    present = [s for s in scored if s is not None]
    store.update_run(
        run_id,
        status="FINISHED",
        end_time=time.time_ns() // 1_000_000,
        metrics=metrics,
        source_run_ids=sorted({s.run_id for s in present if s.run_id} - {run_id}),
        # Where the re-scored traces are stored, so search_traces(run_id=<this run>) finds
        # them as MLflow does, traces recorded outside any run included.
        source_groups=sorted({s.group for s in present} - {run_id}),
        **run_fields,
    )
    return metrics, agreements


@_sigterm_ends_the_run
def generate_traces(
    data: Any,
    predict_fn: Callable[..., Any],
    *,
    model_id: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> GeneratedTraces:
    """Run the app once per row under a new run, recording and storing one trace each.

    Nothing is scored. A row whose call raises gets a trace with state ERROR and the others
    still run.
    """
    rows = to_rows(data)
    progress = on_progress or _no_progress
    params: dict[str, Any] = {
        "predict_fn": getattr(predict_fn, "__qualname__", None),
        "scorers": [],
        "rows": len(rows),
        "model_id": model_id,
    }
    name = getattr(predict_fn, "__name__", None) or "generation"
    with _evaluation_run(name, params, model_id) as (store, experiment_id, run_id):
        _run_app(rows, predict_fn, store, experiment_id, run_id, progress, len(rows))
        store.update_run(run_id, status="FINISHED", end_time=time.time_ns() // 1_000_000)
    return GeneratedTraces(run_id, [r.trace for r in rows if r.trace is not None])


def _no_progress(done: int, total: int) -> None:
    return None


@contextmanager
def _evaluation_run(
    name: str, params: dict[str, Any], model_id: str | None
) -> Iterator[tuple[TraceStore, str, str]]:
    """A new run in the current experiment, marked FAILED if the body raises (even Ctrl-C).

    With a model id (one `set_active_model` made), that model is the active one meanwhile, as
    in MLflow: the traces recorded carry it in their metadata.
    """
    store = tracking.get_store()
    experiment_id = tracking.current_experiment_id()
    with set_active_model(model_id=model_id) if model_id is not None else nullcontext():
        run = store.create_run(experiment_id, kind="evaluation", name=name, params=params)
        run_id = run["run_id"]
        try:
            yield store, experiment_id, run_id
        except BaseException:
            store.update_run(run_id, status="FAILED", end_time=time.time_ns() // 1_000_000)
            raise


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
    # As MLflow does, an app that does not trace itself is traced as a whole.
    traced = predict_fn if getattr(predict_fn, TRACED_MARKER, False) else trace(predict_fn)
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
                _call_once(traced, row.inputs)
            if len(collected) != 1:
                raise RuntimeError(f"predict_fn produced {len(collected)} traces for row {number}")
            made = collected.pop()
            made.info.expectations = stored_expectations(made.root_span, row.expectations)
            row.trace, row.outputs, row.has_outputs = made, made.outputs, True
            unsaved.append(made)
            # Batches keep memory flat and bound what an interrupted run can lose.
            if len(unsaved) >= _WRITE_BATCH or time.monotonic() - last_write > _WRITE_INTERVAL_S:
                store.append_traces(unsaved)
                unsaved, last_write = [], time.monotonic()
            progress(number, total_steps)
    finally:
        # Even on Ctrl-C, the traces already made are kept.
        store.append_traces(unsaved)


def _call_once(traced: Callable[..., Any], inputs: dict[str, Any]) -> None:
    # One call per row, whatever happens: the trace records a failure, the loop goes on.
    with suppress(Exception):
        traced(**inputs)


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
        static = _static_trace(row, experiment_id, run_id, now)
        row.trace = static
        made.append(static)
    store.append_traces(made)


def _static_trace(row: EvalRow, experiment_id: str, run_id: str, now_ns: int) -> Trace:
    """MLflow's minimal trace for a row without an app: one CHAIN span named root_span."""
    trace_id = "tr-" + uuid.uuid4().hex
    inputs, flagged_inputs = to_jsonable(row.inputs)
    outputs, flagged_outputs = to_jsonable(row.outputs)
    root = Span(
        trace_id=trace_id,
        span_id=uuid.uuid4().hex[:16],
        parent_id=None,
        name=STATIC_ROOT_SPAN,
        span_type=SpanType.CHAIN.value,
        start_time_ns=now_ns,
        end_time_ns=now_ns,
        status="OK",
        inputs=inputs,
        outputs=outputs,
    )
    flag_unserializable(root, "inputs", flagged_inputs)
    flag_unserializable(root, "outputs", flagged_outputs)
    model = active_model_id()
    info = TraceInfo(
        trace_id=trace_id,
        experiment_id=experiment_id,
        run_id=run_id,
        request_time=now_ns // 1_000_000,
        execution_duration=0,
        expectations=stored_expectations(root, row.expectations),
        tags={TraceTagKey.TRACE_NAME: STATIC_ROOT_SPAN},
        trace_metadata={} if model is None else {TraceMetadataKey.MODEL_ID: model},
    )
    return Trace(info, [root])


def _score(
    rows: list[EvalRow],
    scorers: Sequence[PreparedScorer],
    progress: Callable[[int], None],
    workers: int,
    cache: JudgeCache | None,
    store: TraceStore,
) -> tuple[list[list[Verdict]], list[list[list[JudgeCall]]]]:
    """The local engine: in this process, with the traces the rows hold (not `store`'s)."""
    pool_rows = [Row(r.inputs, r.outputs, r.expectations, r.trace) for r in rows]
    finished = 0

    def one_more(index: int, result: object) -> None:
        nonlocal finished
        finished += 1
        # Progress counts rows: a row is done once every scorer has scored it.
        if finished % len(scorers) == 0:
            progress(finished // len(scorers))

    with scorer_traces_dropped():
        return score_all(scorers, pool_rows, workers=workers, judge_cache=cache, on_done=one_more)


def _judge_calls_by_name(
    scorers: Sequence[PreparedScorer], calls: Sequence[Sequence[Sequence[JudgeCall]]]
) -> dict[str, list[JudgeCall]]:
    """Per scorer name, the model calls of its rows in row order (`calls`: per scorer, per row)."""
    by_name: dict[str, list[JudgeCall]] = {}
    for item, per_row in zip(scorers, calls, strict=True):
        by_name.setdefault(item.name, []).extend(call for row in per_row for call in row)
    return by_name


def _judge_spans_by_name(
    scorers: Sequence[PreparedScorer],
    calls: Sequence[Sequence[Sequence[JudgeCall]]],
    trace_ids: Sequence[str | None],
) -> dict[str, dict[str, list[SpanData]]]:
    """Per scorer name and trace id, its model calls there as spans of its result."""
    by_name: dict[str, dict[str, list[SpanData]]] = {}
    for item, per_row in zip(scorers, calls, strict=True):
        spans = by_name.setdefault(item.name, {})
        for trace_id, row in zip(trace_ids, per_row, strict=True):
            if row and trace_id is not None:
                spans[trace_id] = [call.to_span(trace_id) for call in row]
    return by_name


def _save_feedback(
    store: TraceStore,
    scored: Sequence[ScoredTrace | None],
    verdicts: list[list[Verdict]],
    run_id: str,
) -> None:
    """Each Feedback goes on its trace's root span, marked with the run that made it (MLflow's)."""
    # An object per result and per stored record, none in a cycle: each collection they would
    # trigger would walk every result, and the store's whole file read back, again.
    with gc_disabled():
        by_group = _feedback_by_group(scored, verdicts, run_id)
        for group, items_by_trace in by_group.items():
            store.save_assessments(group, items_by_trace)


def _feedback_by_group(
    scored: Sequence[ScoredTrace | None], verdicts: list[list[Verdict]], run_id: str
) -> dict[str, dict[str, list[Feedback]]]:
    by_group: dict[str, dict[str, list[Feedback]]] = {}
    for target, items in zip(scored, verdicts, strict=True):
        if target is None or not items:
            continue
        for verdict in items:
            feedback = verdict.feedback
            feedback.trace_id = target.trace_id
            if target.root_span_id is not None:
                feedback.span_id = target.root_span_id
            feedback.metadata = {
                **(feedback.metadata or {}),
                AssessmentMetadataKey.SOURCE_RUN_ID: run_id,
            }
        by_group.setdefault(target.group, {})[target.trace_id] = [v.feedback for v in items]
    return by_group


def _metrics(scorers: Sequence[Scorer], verdicts: list[list[Verdict]]) -> dict[str, float]:
    """MLflow's compute_aggregated_metrics: per Feedback name, over its values that count.

    A Feedback name finds its aggregations through the scorer of that name (for "a/b", of
    "b", as MLflow splits); others get the mean.
    """
    aggregations_of = {s.name: s.aggregations or list(DEFAULT_AGGREGATIONS) for s in scorers}
    values: dict[str, list[Any]] = {}
    for items in verdicts:
        for verdict in items:
            feedback = verdict.feedback
            if feedback.error is None and feedback.value is not None:
                values.setdefault(feedback.name, []).append(feedback.value)
    metrics: dict[str, float] = {}
    for name, seen in values.items():
        wanted = aggregations_of.get(name.split("/", 1)[-1], list(DEFAULT_AGGREGATIONS))
        for aggregation_name, figure in aggregate(seen, wanted).items():
            metrics[f"{name}/{aggregation_name}"] = figure
    return metrics


def _agreements(
    scorers: Sequence[Scorer],
    scored: Sequence[ScoredTrace | None],
    labels: dict[str, dict[str, Label]],
    verdicts: list[list[Verdict]],
) -> dict[str, Agreement]:
    """Per scorer (and Feedback) name, agreement with the HUMAN `labels` of that name that the
    scored traces carry (as given: a search_traces frame holds the store's at its search).

    Every scored trace is a result: where the name has no Feedback, the scorer abstained.
    """
    if not labels:
        return {}
    names = dict.fromkeys(
        [s.name for s in scorers] + [v.feedback.name for items in verdicts for v in items]
    )
    found: dict[str, Agreement] = {}
    for name in names:
        named = {trace_id: by[name] for trace_id, by in labels.items() if name in by}
        if not named:
            continue
        results: dict[str, tuple[Any, str | None]] = {}
        for target, items in zip(scored, verdicts, strict=True):
            if target is None:
                continue
            results[target.trace_id] = (None, None)
            for verdict in items:
                feedback = verdict.feedback
                if feedback.name == name:
                    error = feedback.error
                    message = (
                        None
                        if error is None
                        else verdict.error_text or error.error_message or error.error_code
                    )
                    results[target.trace_id] = (feedback.value, message)
        computed = agreement(results, named)
        if computed is not None:
            found[name] = computed
    return found


def _print_failures(
    scorers: Sequence[Scorer],
    verdicts: list[list[Verdict]],
    scored: Sequence[ScoredTrace | None],
) -> None:
    """One line on stderr per failing Feedback name, with the first failure and its trace."""
    failures: dict[str, list[tuple[str, str]]] = {}
    for target, items in zip(scored, verdicts, strict=True):
        trace_id = target.trace_id if target else "?"
        for verdict in items:
            if verdict.error_text is not None:
                failures.setdefault(verdict.feedback.name, []).append(
                    (trace_id, verdict.error_text)
                )
    order = [s.name for s in scorers] + [n for n in failures if n not in {s.name for s in scorers}]
    for name in order:
        failed = failures.get(name)
        if not failed:
            continue
        trace_id, message = failed[0]
        message = message.removeprefix(f"scorer '{name}' ")
        print(
            f"scorelens: scorer '{name}' failed on {len(failed)} of {len(scored)} traces: "
            f"{message} (first: {trace_id})",
            file=sys.stderr,
        )
