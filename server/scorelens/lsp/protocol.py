"""ScoreLens's custom LSP protocol: every request and notification, with its payload types.

This file is mirrored, name for name, by `extension/src/protocol.ts`; keep the two side by side.
Payloads are plain JSON objects, so field names are camelCase as the TypeScript side sees them.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

# -- shared shapes ----------------------------------------------------------------------------


class TraceSet(TypedDict):
    runId: str | None  # None: every trace in the store
    traceCount: int


class RunInfo(TypedDict):
    runId: str
    name: str
    startTime: int  # ms since the epoch
    status: str
    traceCount: int


class Aggregate(TypedDict):
    name: str  # mean, min, ...
    value: float
    previous: float | None  # the same aggregate for the previous version of the scorer


class ScorerSummary(TypedDict):
    uri: str
    name: str
    line: int  # 0-based line of the `def`
    hash: str
    state: Literal["unscored", "scored", "error", "running", "untrusted"]
    scored: int  # traces with a result
    total: int  # traces in the active set
    errors: int  # traces where the scorer failed
    passed: int | None  # for boolean scorers: traces that returned True
    failed: int | None  # for boolean scorers: traces that returned False (None abstains)
    aggregates: list[Aggregate]
    message: str | None  # why the scorer has no figures (import error, timeout, crash)
    stale: bool  # the document has unsaved edits; figures are from the saved version


class ScorerRef(TypedDict):
    uri: str
    name: str


class Cell(TypedDict):
    value: Any
    rationale: str | None
    error: str | None
    previous: Any  # this trace's value under the previous version; None when unknown
    previousError: str | None  # the previous version failed on this trace, with this error
    changed: bool


class ResultRow(TypedDict):
    traceId: str
    inputPreview: str
    outputPreview: str
    state: str
    cells: dict[str, Cell]  # by column key, "<scorer file uri>#<scorer name>"


# -- requests (client -> server) --------------------------------------------------------------
# A request without a params type here (listRuns, listScorers, listApps, clearResults) takes an
# empty object; the server also answers it when `params` is left out, as JSON-RPC allows.

LIST_RUNS = "scorelens/listRuns"


class ListRunsResult(TypedDict):
    runs: list[RunInfo]
    active: TraceSet


LIST_SCORERS = "scorelens/listScorers"


class ListScorersResult(TypedDict):
    scorers: list[ScorerSummary]


LIST_APPS = "scorelens/listApps"


class AppInfo(TypedDict):
    uri: str
    name: str
    line: int
    reference: str  # what `generateTraces` takes as `app`: "path/to/file.py:function"


class ListAppsResult(TypedDict):
    apps: list[AppInfo]


SELECT_TRACE_SET = "scorelens/selectTraceSet"


class SelectTraceSetParams(TypedDict):
    runId: str | None  # None: every trace in the store


RESCORE = "scorelens/rescore"


class RescoreParams(TypedDict, total=False):
    """Also the argument of the `scorelens.lens.score` lens command."""

    uri: str  # a scorer file; omitted: every scorer file in the workspace
    name: str  # one scorer of that file; omitted: all of them


class RescoreResult(TypedDict):
    scorers: list[ScorerSummary]


GENERATE_TRACES = "scorelens/generateTraces"


class GenerateTracesParams(TypedDict):
    dataset: str  # a path, absolute or relative to the workspace
    app: str  # module:function or path.py:function


class GenerateTracesResult(TypedDict):
    runId: str
    traceCount: int
    failed: int


RESULT_ROWS = "scorelens/resultRows"


class ResultRowsParams(TypedDict, total=False):
    scorers: list[ScorerRef]  # the panel's columns; omitted: every known scorer
    offset: int
    limit: int
    filter: Literal["all", "failing", "errors", "changed"]
    sortBy: str | None  # a column key ("<uri>#<name>"); omitted: trace order
    descending: bool


class Bucket(TypedDict):
    label: str  # "pass", "fail", a value, or a numeric range "10–20"
    count: int


class ResultRowsResult(TypedDict):
    total: int  # rows matching the filter
    offset: int
    rows: list[ResultRow]
    columns: list[ScorerSummary]
    distributions: dict[str, list[Bucket]]  # by column key, over every active trace


GET_TRACE = "scorelens/getTrace"


class GetTraceParams(TypedDict):
    traceId: str


class GetTraceResult(TypedDict):
    trace: dict[str, Any]  # Trace.to_dict(): info and spans


CLEAR_RESULTS = "scorelens/clearResults"


class ClearResultsResult(TypedDict):
    cleared: int


# -- notifications (server -> client) ---------------------------------------------------------

SCORES_CHANGED = "scorelens/scoresChanged"


class ScoresChangedParams(TypedDict):
    uri: str
    changed: list[ScorerSummary]  # scorers whose figures changed in this run
    durationMs: float
    workerCalled: bool


STATUS = "scorelens/status"


class StatusParams(TypedDict):
    state: Literal["ready", "running", "error"]
    message: str
    traceSet: TraceSet


REQUESTS = (
    LIST_RUNS,
    LIST_SCORERS,
    LIST_APPS,
    SELECT_TRACE_SET,
    RESCORE,
    GENERATE_TRACES,
    RESULT_ROWS,
    GET_TRACE,
    CLEAR_RESULTS,
)
NOTIFICATIONS = (SCORES_CHANGED, STATUS)
