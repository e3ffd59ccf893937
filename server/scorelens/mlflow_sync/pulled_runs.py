"""The local runs that hold traces pulled from MLflow: one per (tracking URI, MLflow experiment).

A pulled run is a run of kind `mlflow-pull` named after its source (`mlflow <experiment> @
<host>`); its params say where its traces came from and, per filter string, the newest MLflow
timestamp a complete pull has seen (the cursor the next pull starts from).
"""

from __future__ import annotations

import time
from typing import Any

from scorelens.store import TraceStore
from scorelens.store.writers import this_writer

PULL_KIND = "mlflow-pull"
URI_PARAM = "mlflow_tracking_uri"
EXPERIMENT_ID_PARAM = "mlflow_experiment_id"
EXPERIMENT_NAME_PARAM = "mlflow_experiment_name"
CURSORS_PARAM = "mlflow_cursors"


def run_name(experiment_name: str, location: str) -> str:
    return f"mlflow {experiment_name} @ {location}"


def pulled_runs(store: TraceStore, experiment_id: str, uri: str) -> list[dict[str, Any]]:
    """The experiment's runs pulled from `uri`, newest first."""
    return [
        run
        for run in store.list_runs(experiment_id)
        if run.get("kind") == PULL_KIND and run.get("params", {}).get(URI_PARAM) == uri
    ]


def find_pulled_run(
    store: TraceStore, experiment_id: str, uri: str, mlflow_experiment_id: str
) -> dict[str, Any] | None:
    return next(
        (
            run
            for run in pulled_runs(store, experiment_id, uri)
            if run["params"].get(EXPERIMENT_ID_PARAM) == mlflow_experiment_id
        ),
        None,
    )


def create_pulled_run(
    store: TraceStore,
    experiment_id: str,
    uri: str,
    mlflow_experiment_id: str,
    mlflow_experiment_name: str,
    location: str,
) -> dict[str, Any]:
    params = {
        URI_PARAM: uri,
        EXPERIMENT_ID_PARAM: mlflow_experiment_id,
        EXPERIMENT_NAME_PARAM: mlflow_experiment_name,
        CURSORS_PARAM: {},
    }
    return store.create_run(
        experiment_id, PULL_KIND, name=run_name(mlflow_experiment_name, location), params=params
    )


def cursor_of(run: dict[str, Any] | None, filter_string: str | None) -> int | None:
    if run is None:
        return None
    cursor = run["params"].get(CURSORS_PARAM, {}).get(filter_string or "")
    return int(cursor) if cursor is not None else None


def mark_pulling(store: TraceStore, run: dict[str, Any]) -> None:
    """A pull is writing to the run: if this process dies, the run reads KILLED, not FINISHED."""
    store.update_run(run["run_id"], status="RUNNING", end_time=None, writer=this_writer())


def finish_pull(
    store: TraceStore,
    run: dict[str, Any],
    filter_string: str | None,
    cursor: int | None,
    experiment_name: str,
    location: str,
) -> None:
    """The pull ended well: remember its cursor, and the experiment's name if it was renamed."""
    params = dict(run["params"])
    cursors = dict(params.get(CURSORS_PARAM, {}))
    if cursor is not None:
        cursors[filter_string or ""] = cursor
    params[CURSORS_PARAM] = cursors
    params[EXPERIMENT_NAME_PARAM] = experiment_name
    store.update_run(
        run["run_id"],
        status="FINISHED",
        end_time=time.time_ns() // 1_000_000,
        params=params,
        name=run_name(experiment_name, location),
    )


def fail_pull(store: TraceStore, run: dict[str, Any]) -> None:
    store.update_run(run["run_id"], status="FAILED", end_time=time.time_ns() // 1_000_000)
