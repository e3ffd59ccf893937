"""Log the local results on pulled traces back onto the MLflow traces they came from.

Per pulled trace, what is pushed is the newest Feedback of each name that a scorer made (source
CODE or LLM_JUDGE), and the newest of each human's (HUMAN source, per source id). Each becomes
MLflow feedback with the same name, value or error, rationale and source, and two metadata
entries: `scorelens.assessment_id`, the local result it carries (which also marks it as pushed
by ScoreLens), and `scorelens.run_id`, the local run that made it.

Pushing twice never duplicates: a result whose ScoreLens-pushed feedback (same name and source)
is already on the MLflow trace updates that feedback in place, or is left alone when it carries
this very result. Assessments that were pulled from MLflow are never pushed back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from scorelens import tracking
from scorelens.entities import Assessment, Feedback
from scorelens.entities.assessment_source import AssessmentSourceType
from scorelens.mlflow_sync.connection import Connection, MlflowSyncError, connect, one_line
from scorelens.mlflow_sync.pulled_runs import EXPERIMENT_ID_PARAM, pulled_runs
from scorelens.tracing.constant import AssessmentMetadataKey

ProgressCallback = Callable[[int, int], None]

PUSHED_ID_KEY = "scorelens.assessment_id"
RUN_ID_KEY = "scorelens.run_id"
_MACHINE = (AssessmentSourceType.CODE, AssessmentSourceType.LLM_JUDGE)
_LIST_PAGE = 500
# Each feedback is one request to the server; several at once hide its latency.
_HTTP_WORKERS = 8


@dataclass(frozen=True)
class PushResult:
    logged: int
    updated: int
    unchanged: int
    missing: int = 0  # results whose trace is no longer in MLflow


@dataclass(frozen=True)
class _Write:
    trace_id: str
    result: Feedback
    replaces: Any  # the MLflow assessment to update; None to log a new one


def push(
    tracking_uri: str,
    *,
    run_id: str | None = None,
    scorers: Iterable[str] | None = None,
    on_progress: ProgressCallback | None = None,
) -> PushResult:
    """Push the results on the traces of `run_id` (default: every run pulled from
    `tracking_uri` in the current experiment); with `scorers`, only feedback of those names
    (or made by scorers of those names)."""
    connection = connect(tracking_uri)
    store = tracking.get_store()
    runs = pulled_runs(store, tracking.current_experiment_id(), connection.uri)
    if run_id is not None:
        runs = [r for r in runs if r["run_id"] == run_id]
        if not runs:
            raise MlflowSyncError(
                f"run {run_id} holds no traces pulled from {connection.uri}; see 'scorelens runs'"
            )
    if not runs:
        raise MlflowSyncError(
            f"no traces were pulled from {connection.uri}; run 'scorelens mlflow pull' first"
        )
    wanted = None if scorers is None else set(scorers)
    writes: list[_Write] = []
    unchanged = missing = 0
    for run in runs:
        candidates = {
            trace_id: kept
            for trace_id, items in store.load_assessments(run["run_id"]).items()
            if (kept := [a for a in items if _pushable(a, wanted)])
        }
        if not candidates:
            continue
        times = store.trace_times(run["run_id"])
        remote = _remote_assessments(
            connection,
            run["params"][EXPERIMENT_ID_PARAM],
            [times[t] for t in candidates if t in times],
        )
        for trace_id, results in candidates.items():
            on_mlflow = remote.get(trace_id)
            if on_mlflow is None:
                missing += len(_newest(results, set()))
                continue
            for result in _newest(results, {a.assessment_id for a in on_mlflow}):
                previous = _pushed_before(result, on_mlflow)
                if previous is None:
                    writes.append(_Write(trace_id, result, None))
                elif (previous.metadata or {}).get(PUSHED_ID_KEY) == result.assessment_id:
                    unchanged += 1
                else:
                    writes.append(_Write(trace_id, result, previous))
    _send(connection, writes, on_progress)
    updated = sum(1 for w in writes if w.replaces is not None)
    return PushResult(len(writes) - updated, updated, unchanged, missing)


def _pushable(assessment: Assessment, wanted: set[str] | None) -> bool:
    if not isinstance(assessment, Feedback) or assessment.valid is False:
        return False
    if wanted is None or assessment.name in wanted:
        return True
    source = assessment.source
    return source.source_type in _MACHINE and source.source_id in wanted


def _key(feedback: Assessment) -> tuple[str, str | None]:
    """What one pushed feedback stands for: a scorer's result by name, or one human's label."""
    source = feedback.source
    if source.source_type == AssessmentSourceType.HUMAN:
        return feedback.name, f"HUMAN:{source.source_id}"
    if source.source_type in _MACHINE:
        return feedback.name, None
    return feedback.name, f"{source.source_type}:{source.source_id}"


def _newest(results: list[Assessment], pulled_ids: set[str | None]) -> list[Feedback]:
    """The newest result per key, leaving out what came from MLflow itself."""
    newest: dict[tuple[str, str | None], Feedback] = {}
    for result in results:
        if result.assessment_id in pulled_ids or not isinstance(result, Feedback):
            continue
        key = _key(result)
        held = newest.get(key)
        if held is None or _updated(result) >= _updated(held):
            newest[key] = result
    return list(newest.values())


def _updated(assessment: Any) -> int:
    return int(assessment.last_update_time_ms or assessment.create_time_ms or 0)


def _pushed_before(result: Feedback, on_mlflow: list[Any]) -> Any:
    """The newest feedback ScoreLens pushed for the same key, if any."""
    key = _key(result)
    mine = [
        a
        for a in on_mlflow
        if a.feedback is not None
        and a.valid is not False
        and PUSHED_ID_KEY in (a.metadata or {})
        and _key(a) == key
    ]
    return max(mine, key=_updated) if mine else None


def _remote_assessments(
    connection: Connection, experiment_id: str, times: list[int]
) -> dict[str, list[Any]]:
    """The assessments of the experiment's traces stamped within the times given, by trace id."""
    if not times:
        return {}
    bounds = f"trace.timestamp_ms >= {min(times)} AND trace.timestamp_ms <= {max(times)}"
    found: dict[str, list[Any]] = {}
    token = None
    with connection.errors(f"cannot list the traces at {connection.uri}"):
        while True:
            page = connection.tracing.search_traces(
                locations=[experiment_id],
                filter_string=bounds,
                max_results=_LIST_PAGE,
                page_token=token,
                include_spans=False,
            )
            for trace in page:
                found[trace.info.trace_id] = list(trace.info.assessments or [])
            token = page.token
            if not token:
                return found


def _send(
    connection: Connection, writes: list[_Write], on_progress: ProgressCallback | None
) -> None:
    if not writes:
        return
    from mlflow.entities import AssessmentError, AssessmentSource
    from mlflow.entities import Feedback as MlflowFeedback

    def as_mlflow(write: _Write) -> Any:
        result = write.result
        error = result.error
        rationale = result.rationale
        if rationale is None and write.replaces is not None and write.replaces.rationale:
            rationale = ""  # an update keeps the old rationale unless given another
        return MlflowFeedback(
            name=result.name,
            value=result.value,
            error=None
            if error is None
            else AssessmentError(
                error_code=error.error_code,
                error_message=error.error_message,
                stack_trace=error.stack_trace,
            ),
            source=AssessmentSource(
                source_type=result.source.source_type, source_id=result.source.source_id
            ),
            rationale=rationale,
            metadata=_metadata(result),
            span_id=result.span_id,
        )

    def send(write: _Write) -> None:
        feedback = as_mlflow(write)
        try:
            if write.replaces is None:
                connection.tracing.log_assessment(write.trace_id, feedback)
            else:
                connection.tracing.update_assessment(
                    write.trace_id, write.replaces.assessment_id, feedback
                )
        except connection.exception_type as exc:
            raise MlflowSyncError(
                f"cannot log feedback {write.result.name!r} on trace {write.trace_id} at "
                f"{connection.uri}: {one_line(exc)}"
            ) from None

    # A sqlite store takes one writer at a time: threads would only wait for its lock.
    workers = _HTTP_WORKERS if connection.uri.startswith(("http://", "https://")) else 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done, _ in enumerate(pool.map(send, writes), start=1):
            if on_progress is not None:
                on_progress(done, len(writes))


def _metadata(result: Feedback) -> dict[str, str]:
    # MLflow keeps metadata as text. The local run id moves to a key of its own: under MLflow's
    # sourceRunId key the UI would look for an MLflow run of that id.
    metadata = {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in (result.metadata or {}).items()
        if key != AssessmentMetadataKey.SOURCE_RUN_ID
    }
    metadata[PUSHED_ID_KEY] = str(result.assessment_id)
    if result.run_id:
        metadata[RUN_ID_KEY] = result.run_id
    return metadata
