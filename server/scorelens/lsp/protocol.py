"""ScoreLens's custom LSP protocol: every request and notification, with its payload types.

Declared once on each side: here and in `extension/src/protocol.ts`, side by side, in the same
order. `tests/test_protocol_mirror.py` and `extension/test/unit/protocol.test.ts` compare the two
structurally (methods, type names, field names, field types, optionality) and fail on any drift.

Payloads are TypedDicts: what travels is plain JSON, so keys are camelCase as TypeScript sees
them, except inside a trace, which keeps MLflow's own snake_case JSON. The server registers each
request's params type with pygls (`lsp/rpc.py`), so a missing or mistyped field is answered with
InvalidParams naming it, before any handler runs.
"""

# No `from __future__ import annotations`: TypedDict reads NotRequired from real annotations
# only, and pygls's converter reads which keys are required from there.
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypedDict, TypeVar

from typing_extensions import NotRequired

# Declared beside the tracing code that makes them (a scorer's judge spans too); part of the
# protocol all the same, so they are named here for the mirror check.
from scorelens.tracing.span_data import SpanData, SpanEventData, SpanStatus  # noqa: F401

P = TypeVar("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Request(Generic[P, R]):
    """A client -> server request: its method, params type and result type."""

    method: str
    params: type[P]
    result: type[R]


@dataclass(frozen=True)
class Notification(Generic[P]):
    """A server -> client notification: its method and params type."""

    method: str
    params: type[P]


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


ScorerState = Literal["unscored", "scored", "error", "running", "untrusted"]


class JudgeUsage(TypedDict):
    """The model calls a scorer version made on the active traces (see scorelens.judging)."""

    calls: int
    newCalls: int  # not answered from the judge-call cache: requests that reached the model
    tokens: int  # input and output
    costUsd: float | None  # None: a model without a known price


class AgreementData(TypedDict):
    """How the scorer's values agree with people's labels of the active traces (see
    scorelens.genai.agreement); only labels that give a verdict count (not "unsure")."""

    agree: int
    total: int  # labelled traces the scorer has a result for
    abstained: int  # of those, where the scorer failed or gave no verdict (counted as not agreeing)
    previousAgree: int | None  # the previous version's agree count on the same labels
    disagreeing: list[str]  # trace ids, the first 20


class ScorerSummary(TypedDict):
    uri: str
    name: str
    line: int  # 0-based line of the `def`
    hash: str
    state: ScorerState
    scored: int  # traces with a result
    total: int  # traces in the active set
    errors: int  # traces where the scorer failed
    passed: int | None  # for boolean scorers: traces that returned True
    failed: int | None  # for boolean scorers: traces that returned False (None abstains)
    aggregates: list[Aggregate]
    message: str | None  # why the scorer has no figures (import error, timeout, crash)
    stale: bool  # the document has unsaved edits; figures are from the saved version
    judge: JudgeUsage | None  # None: the scorer called no model
    agreement: AgreementData | None  # None: no active trace has a label for its Feedback


class ScorerRef(TypedDict):
    uri: str
    name: str


class LabelData(TypedDict):
    """A person's label: the verdict a scorer should give on a trace (a HUMAN feedback of the
    scorer's name, as MLflow stores one)."""

    value: Any  # True/False for pass/fail, else a number or text; None when unsure
    unsure: bool
    note: str | None
    user: str


class Cell(TypedDict):
    feedbackName: str  # the Feedback the cell shows; labels belong to this name
    value: Any
    rationale: str | None
    error: str | None
    previous: Any  # this trace's value under the previous version; None when unknown
    previousError: str | None  # the previous version failed on this trace, with this error
    changed: bool
    label: LabelData | None  # a person's label of this trace for its Feedback's name
    agrees: bool | None  # the value agrees with the label; None: no label, or "unsure"
    flipped: bool  # agrees with the label now and did not under the previous version, or back


class ResultRow(TypedDict):
    traceId: str
    inputPreview: str
    outputPreview: str
    state: str
    cells: dict[str, Cell]  # by column key, "<scorer file uri>#<scorer name>"


# -- the trace, as MLflow writes it (Trace.to_dict(); see scorelens/entities) ------------------


class AssessmentSourceData(TypedDict):
    source_type: str  # HUMAN, LLM_JUDGE, CODE
    source_id: NotRequired[str]


class AssessmentErrorData(TypedDict):
    error_code: str
    error_message: NotRequired[str]
    stack_trace: NotRequired[str]


class FeedbackData(TypedDict):
    value: Any
    error: NotRequired[AssessmentErrorData]


class SerializedValue(TypedDict):
    serialization_format: str
    value: str


class ExpectationData(TypedDict):
    value: NotRequired[Any]
    serialized_value: NotRequired[SerializedValue]


class AssessmentData(TypedDict):
    """An assessment as MLflow's `Assessment.to_dictionary()` writes it: scorer feedback,
    human labels (log_feedback) and expectations."""

    assessment_id: NotRequired[str]
    assessment_name: str
    trace_id: str
    source: AssessmentSourceData
    create_time: str  # RFC 3339
    last_update_time: str
    span_id: NotRequired[str]
    feedback: NotRequired[FeedbackData]
    expectation: NotRequired[ExpectationData]
    rationale: NotRequired[str]
    metadata: NotRequired[dict[str, str]]
    overrides: NotRequired[str]
    valid: NotRequired[bool]


class TraceInfoData(TypedDict):
    trace_id: str
    experiment_id: str
    run_id: str | None
    request_time: int  # ms since the epoch
    execution_duration: int | None  # ms
    state: str
    expectations: dict[str, Any]
    tags: dict[str, str]
    trace_metadata: NotRequired[dict[str, str]]
    client_request_id: NotRequired[str]
    request_preview: NotRequired[str]
    response_preview: NotRequired[str]
    assessments: NotRequired[list[AssessmentData]]


class TraceData(TypedDict):
    info: TraceInfoData
    spans: list[SpanData]


# -- requests (client -> server) --------------------------------------------------------------


class NoParams(TypedDict):
    """The params of a request that needs none: an empty object (or none at all)."""


class ListRunsResult(TypedDict):
    runs: list[RunInfo]
    active: TraceSet


class AppInfo(TypedDict):
    uri: str
    name: str
    line: int
    reference: str  # what `generateTraces` takes as `app`: "path/to/file.py:function"


class ListAppsResult(TypedDict):
    apps: list[AppInfo]


class SelectTraceSetParams(TypedDict):
    runId: str | None  # None: every trace in the store


class RescoreParams(TypedDict):
    """Also the argument of the `scorelens.lens.score` lens command."""

    uri: NotRequired[str]  # a scorer file; omitted: every scorer file in the workspace
    name: NotRequired[str]  # one scorer of that file; omitted: all of them


class RescoreResult(TypedDict):
    scorers: list[ScorerSummary]


class GenerateTracesParams(TypedDict):
    dataset: str  # a path, absolute or relative to the workspace
    app: str  # module:function or path.py:function


class GenerateTracesResult(TypedDict):
    runId: str
    traceCount: int
    failed: int


RowFilter = Literal["all", "failing", "errors", "changed", "disagrees", "unlabelled"]


class ResultRowsParams(TypedDict):
    scorers: NotRequired[list[ScorerRef]]  # the panel's columns; omitted: every known scorer
    offset: NotRequired[int]
    limit: NotRequired[int]
    filter: NotRequired[RowFilter]
    sortBy: NotRequired[str | None]  # a column key ("<uri>#<name>"); omitted: trace order
    descending: NotRequired[bool]


class Bucket(TypedDict):
    label: str  # "pass", "fail", a value, or a numeric range "10–20"
    count: int


class ResultRowsResult(TypedDict):
    total: int  # rows matching the filter
    offset: int
    rows: list[ResultRow]
    columns: list[ScorerSummary]
    distributions: dict[str, list[Bucket]]  # by column key, over every active trace


class GetTraceParams(TypedDict):
    traceId: str


class GetTraceResult(TypedDict):
    trace: TraceData


class ClearResultsResult(TypedDict):
    cleared: int


class ClearJudgeCacheResult(TypedDict):
    cleared: int  # cached model answers forgotten


class TraceResultsParams(TypedDict):
    traceId: str


class ScorerResult(TypedDict):
    """What one scorer said about one trace, with the model calls it made for it."""

    uri: str
    name: str
    feedbackName: str  # the Feedback's own name; labels belong to this name
    value: Any
    rationale: str | None
    error: str | None
    durationMs: float | None
    judge: list[SpanData]  # the scorer's model calls on this trace, as CHAT_MODEL spans
    label: LabelData | None  # a person's label of this trace for its Feedback's name


class SetLabelParams(TypedDict):
    """Label a trace for every scorer of this name; `clear` takes the user's label away."""

    traceId: str
    scorer: str
    value: Any
    unsure: NotRequired[bool]
    note: NotRequired[str | None]
    clear: NotRequired[bool]


class SetLabelResult(TypedDict):
    label: LabelData | None  # what the trace's label is now (another person's, after a clear)


class MlflowExperimentsParams(TypedDict):
    trackingUri: str  # an MLflow tracking server (http://host:port) or store (sqlite:///...)


class MlflowExperiment(TypedDict):
    id: str
    name: str


class MlflowExperimentsResult(TypedDict):
    experiments: list[MlflowExperiment]


class PullFromMlflowParams(TypedDict):
    trackingUri: str
    experimentId: str


class PullFromMlflowResult(TypedDict):
    """The pulled run, which is then the active trace set."""

    runId: str
    newTraces: int
    totalTraces: int
    source: str  # e.g. "mlflow support @ host:5000", the run's name


class TraceResultsResult(TypedDict):
    results: list[ScorerResult]  # every scorer of the workspace with a result for the trace


list_runs = Request("scorelens/listRuns", NoParams, ListRunsResult)
list_apps = Request("scorelens/listApps", NoParams, ListAppsResult)
select_trace_set = Request("scorelens/selectTraceSet", SelectTraceSetParams, TraceSet)
rescore = Request("scorelens/rescore", RescoreParams, RescoreResult)
generate_traces = Request("scorelens/generateTraces", GenerateTracesParams, GenerateTracesResult)
result_rows = Request("scorelens/resultRows", ResultRowsParams, ResultRowsResult)
get_trace = Request("scorelens/getTrace", GetTraceParams, GetTraceResult)
clear_results = Request("scorelens/clearResults", NoParams, ClearResultsResult)
clear_judge_cache = Request("scorelens/clearJudgeCache", NoParams, ClearJudgeCacheResult)
trace_results = Request("scorelens/traceResults", TraceResultsParams, TraceResultsResult)
set_label = Request("scorelens/setLabel", SetLabelParams, SetLabelResult)
mlflow_experiments = Request(
    "scorelens/mlflowExperiments", MlflowExperimentsParams, MlflowExperimentsResult
)
pull_from_mlflow = Request("scorelens/pullFromMlflow", PullFromMlflowParams, PullFromMlflowResult)

# -- notifications (server -> client) ---------------------------------------------------------


class ScoresChangedParams(TypedDict):
    """A scoring run of one file changed figures. When it ends: the scorers whose figures it
    changed. While a run lasts past 1 s, every 0.5 s as results come in: every scorer of the
    file, the running ones with their figures so far."""

    uri: str
    changed: list[ScorerSummary]
    durationMs: float
    workerCalled: bool
    running: bool  # the run goes on: these are figures so far


class StatusParams(TypedDict):
    """The server's state or the active trace set changed (also after Clear Results)."""

    state: Literal["ready", "running", "error"]
    message: str
    traceSet: TraceSet


scores_changed = Notification("scorelens/scoresChanged", ScoresChangedParams)
status = Notification("scorelens/status", StatusParams)

REQUESTS: tuple[Request[Any, Any], ...] = (
    list_runs,
    list_apps,
    select_trace_set,
    rescore,
    generate_traces,
    result_rows,
    get_trace,
    clear_results,
    clear_judge_cache,
    trace_results,
    set_label,
    mlflow_experiments,
    pull_from_mlflow,
)
NOTIFICATIONS: tuple[Notification[Any], ...] = (scores_changed, status)
