"""Messages between the language server and its worker: one JSON object per line.

The server writes requests to the worker's stdin; the worker answers on the pipe it was given
(not stdout: user prints there are redirected to stderr, which the server logs).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

# -- server -> worker -------------------------------------------------------------------------


class ScoreRequest(TypedDict):
    id: int
    kind: Literal["score"]
    store: str
    workspace: str
    file: str
    scorers: list[str] | None  # scorer names; None for every scorer in the file
    runId: str | None  # the trace set; None for every trace in the store
    traceIds: list[str] | None  # only these traces (the rest are cached); None for all


class GenerateRequest(TypedDict):
    id: int
    kind: Literal["generate"]
    store: str
    workspace: str
    dataset: str
    app: str  # module:function or path.py:function


class WarmRequest(TypedDict):
    """Load the trace set now, so the first save does not wait for it."""

    id: int
    kind: Literal["warm"]
    store: str
    runId: str | None


class Warmed(TypedDict):
    id: int
    kind: Literal["warmed"]
    traceCount: int


class CancelRequest(TypedDict):
    id: int
    kind: Literal["cancel"]
    target: int


# -- worker -> server -------------------------------------------------------------------------


class Progress(TypedDict):
    id: int
    kind: Literal["progress"]
    done: int
    total: int
    scorer: str | None


class ErrorInfo(TypedDict):
    message: str
    line: int | None  # 1-based line in the scorer file, when the traceback reaches it
    stackTrace: str | None


class ResultRow(TypedDict):
    traceId: str
    name: str  # the feedback name; a scorer returning list[Feedback] has several
    value: Any
    rationale: str | None
    error: str | None
    errorKind: str | None  # exception | parameter | return_type | feedback
    errorLine: int | None
    durationMs: float


class ScorerDone(TypedDict):
    """One scorer's results, sent as soon as it finished; the final `Scored` follows."""

    id: int
    kind: Literal["scorerDone"]
    scorer: str
    rows: list[ResultRow]
    durationMs: float


class Scored(TypedDict):
    """The end of a score request; the results came before it, one `ScorerDone` a scorer."""

    id: int
    kind: Literal["scored"]
    importError: ErrorInfo | None
    cancelled: bool
    traceCount: int


class Generated(TypedDict):
    id: int
    kind: Literal["generated"]
    runId: str
    traceCount: int
    failed: int


class Failed(TypedDict):
    id: int
    kind: Literal["failed"]
    error: str
