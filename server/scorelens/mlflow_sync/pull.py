"""Copy traces from an MLflow experiment into the local store, keeping MLflow's trace ids.

What is new is found in two steps. First the trace infos (ids and timestamps, no spans) are
listed, newest first, from the run's cursor on: the newest MLflow timestamp an earlier complete
pull with the same filter saw, less LOOKBACK_MS, because a trace is stamped when it starts but
reaches the server when it ends. Then the listed ids already in the run are dropped, and only
the rest are fetched whole. So a pull with nothing new downloads no spans and lists only the
last LOOKBACK_MS of traces, however many are stored; a trace that took longer than LOOKBACK_MS
to reach the server after an earlier pull is missed by the cursor (a pull with a new filter
string, which starts with no cursor, finds it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scorelens import tracking
from scorelens.entities import Trace
from scorelens.mlflow_sync.connection import (
    Connection,
    MlflowSyncError,
    connect,
    describe_location,
    one_line,
)
from scorelens.mlflow_sync.pulled_runs import (
    create_pulled_run,
    cursor_of,
    fail_pull,
    find_pulled_run,
    finish_pull,
    mark_pulling,
)
from scorelens.store import TraceStore

ProgressCallback = Callable[[int, int], None]

LOOKBACK_MS = 15 * 60 * 1000
# MLflow's server answers at most 500 trace infos per page.
_LIST_PAGE = 500
# Ids per batch read: few enough for the query string of MLflow's GET endpoint.
_FETCH_BATCH = 100
# Traces per segment file written: bounds memory and what an interrupted pull loses.
_WRITE_BATCH = 1000
_SOURCE_RUN_KEY = "mlflow.sourceRun"
# The MLflow run a trace was recorded in; `mlflow.sourceRun` names the local run once pulled.
MLFLOW_SOURCE_RUN_KEY = "scorelens.mlflow.sourceRun"


@dataclass(frozen=True)
class PullResult:
    run_id: str
    new_traces: int
    total_traces: int
    source: str  # the run's name: `mlflow <experiment> @ <host>`


def pull(
    tracking_uri: str,
    *,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> PullResult:
    """Copy the experiment's traces not yet pulled (at most `max_results`, newest first) into
    the run pulled from it in the current experiment, made on the first pull.

    `filter_string` is MLflow's `search_traces` filter. Spans, tags, metadata and assessments
    come along; each trace keeps its MLflow id.
    """
    if max_results is not None and max_results < 1:
        raise MlflowSyncError(f"--max must be 1 or more, got {max_results}")
    connection = connect(tracking_uri)
    remote_id, remote_name = connection.find_experiment(experiment_name, experiment_id)
    location = describe_location(connection.uri)
    store = tracking.get_store()
    local_experiment = tracking.current_experiment_id()
    run = find_pulled_run(store, local_experiment, connection.uri, remote_id)
    cursor = cursor_of(run, filter_string)
    since = None if cursor is None else cursor - LOOKBACK_MS
    # Listed before any local change: a bad filter leaves no empty run behind.
    listed = _list(connection, remote_id, filter_string, since)
    known = store.trace_times(run["run_id"]) if run is not None and listed else {}
    fresh = [trace_id for trace_id in listed if trace_id not in known]
    complete = max_results is None or len(fresh) <= max_results
    fresh = fresh[:max_results]
    if run is None:
        run = create_pulled_run(
            store, local_experiment, connection.uri, remote_id, remote_name, location
        )
    elif fresh:
        mark_pulling(store, run)
    try:
        copied = _copy(connection, fresh, store, run["run_id"], local_experiment, on_progress)
    except BaseException:
        fail_pull(store, run)
        raise
    # A pull cut short by max_results leaves older traces behind: the cursor stays, so the next
    # pull lists them again.
    if complete and listed:
        cursor = max(cursor or 0, *listed.values())
    finish_pull(store, run, filter_string, cursor, remote_name, location)
    finished = store.get_run(run["run_id"]) or run
    return PullResult(str(run["run_id"]), copied, int(finished["trace_count"]), finished["name"])


def _list(
    connection: Connection, experiment_id: str, filter_string: str | None, since: int | None
) -> dict[str, int]:
    """Ids and timestamps of the experiment's traces matching the filter, newest first."""
    clauses = [filter_string, None if since is None else f"trace.timestamp_ms >= {since}"]
    combined = " AND ".join(c for c in clauses if c) or None
    listed: dict[str, int] = {}
    token = None
    try:
        while True:
            page = connection.tracing.search_traces(
                locations=[experiment_id],
                filter_string=combined,
                max_results=_LIST_PAGE,
                order_by=["timestamp_ms DESC"],
                page_token=token,
                include_spans=False,
            )
            # Traces arriving meanwhile shift the pages: an id seen twice counts once.
            for found in page:
                listed.setdefault(found.info.trace_id, int(found.info.timestamp_ms))
            token = page.token
            if not token:
                return listed
    except connection.exception_type as exc:
        if filter_string and getattr(exc, "error_code", None) == "INVALID_PARAMETER_VALUE":
            raise MlflowSyncError(f"bad filter {filter_string!r}: {one_line(exc)}") from None
        raise MlflowSyncError(
            f"cannot list the traces at {connection.uri}: {one_line(exc)}"
        ) from None


def _copy(
    connection: Connection,
    trace_ids: list[str],
    store: TraceStore,
    run_id: str,
    experiment_id: str,
    on_progress: ProgressCallback | None,
) -> int:
    """Fetch the traces whole and append them to the run; returns how many were stored."""
    pending: list[Trace] = []
    stored = 0
    try:
        for start in range(0, len(trace_ids), _FETCH_BATCH):
            batch = trace_ids[start : start + _FETCH_BATCH]
            with connection.errors(f"cannot read traces from {connection.uri}"):
                fetched = connection.tracing.batch_get_traces(batch)
            # A trace deleted in MLflow since it was listed is simply not there.
            pending.extend(local_copy(t, run_id, experiment_id) for t in fetched)
            if len(pending) >= _WRITE_BATCH:
                store.append_traces(pending)
                stored, pending = stored + len(pending), []
            if on_progress is not None:
                on_progress(start + len(batch), len(trace_ids))
    finally:
        # Even on Ctrl-C the traces fetched are kept; the next pull skips them.
        store.append_traces(pending)
        stored += len(pending)
    return stored


def local_copy(mlflow_trace: Any, run_id: str, experiment_id: str) -> Trace:
    """A ScoreLens Trace of an MLflow Trace, read from MLflow's JSON, placed in the local run."""
    trace = Trace.from_dict(mlflow_trace.to_dict())
    info = trace.info
    source_run = info.trace_metadata.pop(_SOURCE_RUN_KEY, None)
    if source_run:
        info.trace_metadata[MLFLOW_SOURCE_RUN_KEY] = source_run
    info.run_id = run_id
    info.experiment_id = experiment_id
    return trace
