"""`search_traces`: stored traces as a pandas DataFrame, ready to pass back to `evaluate`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from scorelens import tracking
from scorelens.entities import Trace
from scorelens.tracing.export import exporter

COLUMNS = [
    "trace_id",
    "trace",
    "request",
    "response",
    "inputs",
    "outputs",
    "expectations",
    "state",
    "request_time",
    "execution_duration",
    "spans",
    "assessments",
    "run_id",
    "experiment_id",
    "tags",
]

# Columns of arbitrary values. Left to inference, pandas turns a None among numbers or strings
# (the outputs of an ERROR trace) into NaN; MLflow's frame keeps None.
_OBJECT_COLUMNS = frozenset(COLUMNS) - {
    "trace_id",
    "state",
    "request_time",
    "execution_duration",
    "experiment_id",
}


def search_traces(
    run_id: str | None = None,
    experiment: str | None = None,
    max_results: int | None = None,
    trace_ids: list[str] | None = None,
    state: str | None = None,
) -> pd.DataFrame:
    """Traces of a run, or of an experiment (name or id; default the current one), newest first."""
    exporter.flush()
    store = tracking.get_store()
    if run_id is not None:
        if store.get_run(run_id) is None:
            raise ValueError(f"no run {run_id!r} in the store at {store.root}")
        groups = store.groups(run_id=run_id)
    else:
        if experiment is None:
            experiment_id = tracking.current_experiment_id()
        else:
            found = store.find_experiment(experiment)
            if found is None:
                raise ValueError(f"no experiment {experiment!r} in the store at {store.root}")
            experiment_id = str(found["experiment_id"])
        groups = store.groups(experiment_id=experiment_id)
    traces: list[Trace] = []
    assessments: dict[str, list[Any]] = {}
    for group in groups:
        traces.extend(store.load_traces(group))
        assessments.update(store.load_assessments(group))
    if trace_ids is not None:
        wanted = set(trace_ids)
        traces = [t for t in traces if t.trace_id in wanted]
    if state is not None:
        traces = [t for t in traces if t.info.state == state]
    traces.sort(key=lambda t: t.info.request_time, reverse=True)
    if max_results is not None:
        traces = traces[:max_results]
    return traces_frame(traces, assessments)


def traces_frame(traces: list[Trace], assessments: dict[str, list[Any]]) -> pd.DataFrame:
    roots = [t.root_span for t in traces]
    inputs = [None if r is None else r.inputs for r in roots]
    outputs = [None if r is None else r.outputs for r in roots]
    columns: dict[str, list[Any]] = {
        "trace_id": [t.trace_id for t in traces],
        "trace": traces,
        "request": inputs,
        "response": outputs,
        "inputs": inputs,
        "outputs": outputs,
        "expectations": [t.info.expectations for t in traces],
        "state": [t.info.state for t in traces],
        "request_time": [t.info.request_time for t in traces],
        "execution_duration": [t.info.execution_duration for t in traces],
        "spans": [t.spans for t in traces],
        "assessments": [assessments.get(t.trace_id, []) for t in traces],
        "run_id": [t.info.run_id for t in traces],
        "experiment_id": [t.info.experiment_id for t in traces],
        "tags": [t.info.tags for t in traces],
    }
    frame: pd.DataFrame = pd.DataFrame(
        {
            name: pd.Series(values, dtype=object) if name in _OBJECT_COLUMNS else values
            for name, values in columns.items()
        },
        columns=COLUMNS,
    )
    return frame
