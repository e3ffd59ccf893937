"""`search_traces` and `get_trace`, as MLflow has them.

`search_traces` returns MLflow's DataFrame (or, with `return_type="list"`, a list of Trace) of
the traces in the given experiments or run that pass `filter_string`, ordered by `order_by`
(newest first by default). The filter and order-by grammar is MLflow's; see search_filter.

MLflow's columns come first, with MLflow's values: `trace` is the trace's JSON text (what
`Trace.from_json` reads; since MLflow 3.2), `request`/`response` the root span's inputs and
outputs, `spans` each span's dict, `assessments` each assessment's dictionary. ScoreLens adds
`inputs`, `outputs`, `expectations`, `run_id` and `experiment_id` after them. `evaluate` takes
the frame back as it is.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

from scorelens import tracking
from scorelens.entities import Trace
from scorelens.entities.trace import dumps_json, expectations_of
from scorelens.heap import gc_disabled
from scorelens.search_filter import (
    SearchFilterError,
    matches_all,
    parse_order_by,
    search_clauses,
    sort_traces,
)
from scorelens.store import TraceStore
from scorelens.tracing.export import exporter

if TYPE_CHECKING:
    import pandas as pd

_logger = logging.getLogger(__name__)

# Trace.pandas_dataframe_columns() of MLflow 3.x, in its order.
MLFLOW_COLUMNS = [
    "trace_id",
    "trace",
    "client_request_id",
    "state",
    "request_time",
    "execution_duration",
    "request",
    "response",
    "trace_metadata",
    "tags",
    "spans",
    "assessments",
]
# ScoreLens's own, after MLflow's.
EXTRA_COLUMNS = ["inputs", "outputs", "expectations", "run_id", "experiment_id"]
COLUMNS = MLFLOW_COLUMNS + EXTRA_COLUMNS


class TraceJSON(str):
    """The `trace` cell: the trace's JSON text (a str, as in MLflow) that also holds the Trace.

    `evaluate` takes the Trace from `.trace` instead of parsing the text again, which would cost
    more than scoring does; anything else sees only the JSON.
    """

    __slots__ = ("_trace",)
    _trace: Trace

    def __new__(cls, text: str, trace: Trace) -> TraceJSON:
        made = super().__new__(cls, text)
        made._trace = trace
        return made

    @property
    def trace(self) -> Trace:
        return self._trace

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (say, to another process) it is plain JSON text again.
        return (str, (str(self),))


# Columns of arbitrary values, kept as given. Left to inference, pandas turns a None among
# numbers (the response of an ERROR trace) into NaN and 7 into 7.0, as MLflow's frame shows; a
# missing response stays None here (isnull() still holds). `trace` too, so its cells stay
# TraceJSON rather than being copied into pandas' string array.
_OBJECT_COLUMNS = frozenset({"trace", "request", "response", "inputs", "outputs", "expectations"})


@overload
def search_traces(
    experiment_ids: list[str] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    *,
    run_id: str | None = None,
    return_type: Literal["pandas"] | None = None,
    model_id: str | None = None,
    include_spans: bool = True,
    locations: list[str] | None = None,
    flush: bool = False,
    experiment: str | None = None,
    trace_ids: list[str] | None = None,
    state: str | None = None,
) -> pd.DataFrame: ...


@overload
def search_traces(
    experiment_ids: list[str] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    *,
    run_id: str | None = None,
    return_type: Literal["list"],
    model_id: str | None = None,
    include_spans: bool = True,
    locations: list[str] | None = None,
    flush: bool = False,
    experiment: str | None = None,
    trace_ids: list[str] | None = None,
    state: str | None = None,
) -> list[Trace]: ...


def search_traces(
    experiment_ids: list[str] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    *,
    run_id: str | None = None,
    return_type: Literal["pandas", "list"] | None = None,
    model_id: str | None = None,
    include_spans: bool = True,
    locations: list[str] | None = None,
    flush: bool = False,
    experiment: str | None = None,
    trace_ids: list[str] | None = None,
    state: str | None = None,
) -> pd.DataFrame | list[Trace]:
    """Traces matching `filter_string` in experiments (default: the current one) or a run.

    MLflow's arguments: `locations` (experiment ids; `experiment_ids` is its deprecated name),
    `filter_string`, `order_by` (default newest first), `max_results` (default all), `run_id`,
    `model_id`, `include_spans`, `return_type` ("pandas", the default, or "list"); `flush` is
    accepted, and traces recorded in this process are always written before the search.

    ScoreLens's own: `experiment` (a name or id, instead of `locations`), `trace_ids` (only these
    traces) and `state` (only traces in this state, like `trace.status = '<state>'`).

    Raises ValueError for an unknown run or experiment name, and SearchFilterError (a
    ValueError) for a filter or order-by clause that does not parse.
    """
    del flush  # Pending traces are always written first (below).
    if return_type is None:
        return_type = "pandas"
    if return_type not in ("pandas", "list"):
        raise ValueError(
            f"Invalid return type: {return_type}. Return type must be either 'pandas' or 'list'."
        )
    locations = merge_locations(experiment_ids, locations)
    for name, value in (("locations", locations), ("trace_ids", trace_ids)):
        if value is not None and not isinstance(value, (list, tuple)):
            raise ValueError(
                f"{name} must be a list, got {type(value).__name__}. "
                f"Did you mean to use {name}=[{value!r}]?"
            )
    if locations is not None and experiment is not None:
        raise ValueError("Cannot specify both 'locations' and 'experiment'.")

    clauses = search_clauses(filter_string, run_id, model_id)
    keys = parse_order_by(order_by)
    wanted = _legacy_test(trace_ids, state)

    exporter.flush()
    store = tracking.get_store()
    # MLflow searches the current experiment unless told otherwise, and refuses a run outside
    # it; ScoreLens scopes an unqualified run_id to the run, wherever it is.
    scoped = run_id is None or locations is not None or experiment is not None
    matches = matches_all(clauses)
    with gc_disabled():
        found = read_traces(
            store,
            lambda t: wanted(t) and matches(t),
            run_id=run_id,
            scope=_experiment_ids(locations, experiment) if scoped else None,
            missing_run=f"no run {run_id!r} in the store at {store.root}",
        )
        found = sort_traces(found, keys)
        if max_results is not None:
            found = found[: max(max_results, 0)]
        if not include_spans:
            found = [Trace(t.info, []) for t in found]
        if return_type == "list":
            return found
        return traces_frame(found)


@dataclass(frozen=True)
class StoredSelection:
    """Where a search's traces are, for whoever reads them (here, or a Ray task): the groups
    to read and, for an evaluation of stored traces, that run, whose results a trace stored in
    another group must carry to be one of its traces (MLflow's rule)."""

    groups: list[str]
    assessed_by: str | None = None

    def admits(self, trace: Trace) -> bool:
        run_id = self.assessed_by
        return (
            run_id is None
            or trace.info.run_id == run_id
            or any(a.run_id == run_id for a in trace.info.assessments)
        )


def stored_selection(run_id: str | None = None) -> StoredSelection:
    """Where `search_traces(run_id=run_id)` finds its traces, or, without a run,
    `search_traces()` (the current experiment's); ValueError for an unknown run."""
    exporter.flush()
    store = tracking.get_store()
    return _selection(
        store,
        run_id=run_id,
        scope=[tracking.current_experiment_id()] if run_id is None else None,
        missing_run=f"no run {run_id!r} in the store at {store.root}",
    )


def read_traces(
    store: TraceStore,
    test: Callable[[Trace], bool],
    *,
    run_id: str | None,
    scope: list[str] | None,
    missing_run: str,
) -> list[Trace]:
    """The stored traces passing `test`: a run's, or every one of the experiments in `scope`
    (None: every experiment). A run's experiment must be in `scope` when one is given."""
    chosen = _selection(store, run_id=run_id, scope=scope, missing_run=missing_run)
    return [
        t
        for group in chosen.groups
        for t in store.load_traces(group)
        if test(t) and chosen.admits(t)
    ]


def _selection(
    store: TraceStore, *, run_id: str | None, scope: list[str] | None, missing_run: str
) -> StoredSelection:
    """An evaluation of stored traces records none of its own; as in MLflow, its traces are
    then the ones it assessed, wherever they are stored."""
    if run_id is None:
        return StoredSelection(store.groups() if scope is None else _groups_of(store, scope))
    run = store.get_run(run_id)
    if run is None:
        raise ValueError(missing_run)
    run_experiment = str(run["experiment_id"])
    if scope is not None and run_experiment not in scope:
        raise ValueError(
            f"Run {run_id} belongs to experiment {run_experiment}, which is not in the "
            f"list of locations provided: {scope}. Please include experiment "
            f"{run_experiment} in the `locations` parameter to search for traces from "
            "this run."
        )
    groups = store.groups(run_id=run_id)
    scored = run.get("source_groups")
    if isinstance(scored, list) and scored:
        groups += [str(g) for g in scored if g not in groups]
        return StoredSelection(groups, run_id)
    return StoredSelection(groups)


def _groups_of(store: TraceStore, experiment_ids: list[str]) -> list[str]:
    groups: list[str] = []
    for experiment_id in experiment_ids:
        groups.extend(g for g in store.groups(experiment_id=experiment_id) if g not in groups)
    return groups


def merge_locations(
    experiment_ids: list[str] | None, locations: list[str] | None
) -> list[str] | None:
    """MLflow's deprecated `experiment_ids` as `locations`, warned about where it was passed."""
    if experiment_ids is None:
        return locations
    warnings.warn(
        "Parameter 'experiment_ids' is deprecated. Please use 'locations' instead.",
        FutureWarning,
        stacklevel=3,
    )
    if locations is not None:
        raise ValueError(
            "Cannot specify both 'experiment_ids' (deprecated) and 'locations'. "
            "Use 'locations' only."
        )
    return experiment_ids


def _legacy_test(trace_ids: list[str] | None, state: str | None) -> Callable[[Trace], bool]:
    ids = None if trace_ids is None else frozenset(trace_ids)
    if ids is None and state is None:
        return lambda t: True
    return lambda t: (
        (ids is None or t.info.trace_id in ids)
        and (state is None or str(t.info.state) == str(state))
    )


def _experiment_ids(locations: list[str] | None, experiment: str | None) -> list[str]:
    if locations is not None:
        return [str(location) for location in locations]
    if experiment is None:
        return [tracking.current_experiment_id()]
    store = tracking.get_store()
    found = store.find_experiment(experiment)
    if found is None:
        raise ValueError(f"no experiment {experiment!r} in the store at {store.root}")
    return [str(found["experiment_id"])]


def traces_frame(traces: list[Trace]) -> pd.DataFrame:
    """MLflow's search_traces DataFrame of `traces`, ScoreLens's columns after MLflow's."""
    with gc_disabled():
        return _frame(traces)


def _frame(traces: list[Trace]) -> pd.DataFrame:
    # Imported when a frame is made: the language server and its worker never make one, and
    # pandas (with pyarrow) is most of what importing scorelens would cost them in memory.
    import pandas as pd

    roots = [t.root_span for t in traces]
    inputs = [None if r is None else r.inputs for r in roots]
    outputs = [None if r is None else r.outputs for r in roots]
    infos = [t.info for t in traces]
    # One dict per trace serves both the JSON (what Trace.to_json writes) and the span dicts:
    # making span dicts twice was most of the cost of a frame.
    docs = [t.to_dict() for t in traces]
    columns: dict[str, list[Any]] = {
        "trace_id": [i.trace_id for i in infos],
        "trace": [TraceJSON(dumps_json(d), t) for d, t in zip(docs, traces, strict=True)],
        "client_request_id": [i.client_request_id for i in infos],
        "state": [str(i.state) for i in infos],
        "request_time": [i.request_time for i in infos],
        "execution_duration": [i.execution_duration for i in infos],
        "request": inputs,
        "response": outputs,
        "trace_metadata": [i.trace_metadata for i in infos],
        "tags": [i.tags for i in infos],
        "spans": [d["spans"] for d in docs],
        "assessments": [[a.to_dictionary() for a in i.assessments] for i in infos],
        "inputs": inputs,
        "outputs": outputs,
        "expectations": [expectations_of(i) for i in infos],
        "run_id": [i.run_id for i in infos],
        "experiment_id": [i.experiment_id for i in infos],
    }
    frame: pd.DataFrame = pd.DataFrame(
        {
            name: pd.Series(values, dtype=object) if name in _OBJECT_COLUMNS else values
            for name, values in columns.items()
        },
        columns=COLUMNS,
    )
    return frame


def get_trace(
    trace_id: str | None = None,
    silent: bool = False,
    flush: bool = False,
    *,
    request_id: str | None = None,
) -> Trace | None:
    """The stored trace with this id, with its assessments; None (and a warning) if there is none.

    `silent=True` drops the warning. `request_id` is MLflow's deprecated name for `trace_id`;
    `flush` is accepted, and traces recorded in this process are always written first.
    """
    del flush
    if request_id is not None:
        warnings.warn(
            "Parameter 'request_id' is deprecated. Please use 'trace_id' instead.",
            FutureWarning,
            stacklevel=2,
        )
        if trace_id is not None:
            raise ValueError(
                "Cannot specify both 'request_id' (deprecated) and 'trace_id'. Use 'trace_id' only."
            )
        trace_id = request_id
    if trace_id is None:
        raise TypeError("get_trace() missing required argument: 'trace_id'")
    exporter.flush()
    store = tracking.get_store()
    trace = store.find_trace(trace_id)
    if trace is None and not silent:
        _logger.warning(
            "Failed to get trace from the tracking store: Trace with ID %r not found in the "
            "store at %s.",
            trace_id,
            store.root,
        )
    return trace


__all__ = ["SearchFilterError", "TraceJSON", "get_trace", "search_traces", "traces_frame"]
