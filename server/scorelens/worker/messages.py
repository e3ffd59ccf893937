"""Messages between the language server and its worker: one JSON object per line.

The server writes requests to the worker's stdin; the worker answers on the pipe it was given
(not stdout: user prints there are redirected to stderr, which the server logs). Both sides
encode and decode through this module, so each sees the other's messages as these types: a
message of an unknown kind, or one lacking a field its kind requires, is refused here.
"""

# No `from __future__ import annotations`: decoding reads each TypedDict's required keys.
import json
from typing import Any, Literal, TypedDict, cast

from typing_extensions import NotRequired

from scorelens.tracing.span_data import SpanData

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
    maxWorkers: int | None  # traces scored at once; None: SCORELENS_MAX_WORKERS, else 10
    judgeCache: bool  # answer a scorer's model calls from the store's judge-call cache


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


class CancelRequest(TypedDict):
    """Stop request `target` early; sent while it runs, so it has no answer of its own."""

    id: int
    kind: Literal["cancel"]
    target: int


WorkRequest = ScoreRequest | GenerateRequest | WarmRequest
Request = WorkRequest | CancelRequest


# -- worker -> server -------------------------------------------------------------------------


class Warmed(TypedDict):
    id: int
    kind: Literal["warmed"]
    traceCount: int


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
    """One Feedback of a scorer on a trace; a field that is not set (None, no calls) is left
    out."""

    traceId: str
    name: str  # the feedback name; a scorer returning list[Feedback] has several
    value: Any
    rationale: NotRequired[str]
    error: NotRequired[str]
    errorKind: NotRequired[str]  # exception | parameter | return_type | feedback
    errorLine: NotRequired[int]
    durationMs: float
    judge: NotRequired[list[SpanData]]  # the scorer's model calls on this trace (its first row)


class ScorerRows(TypedDict):
    """Some of a scorer's results while it still runs (every 0.2 s, or 10,000 rows); its
    `ScorerDone` brings the rest."""

    id: int
    kind: Literal["scorerRows"]
    scorer: str
    rows: list[ResultRow]


class ScorerDone(TypedDict):
    """The rest of one scorer's results, sent as soon as it finished; `Scored` ends the
    request."""

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


# What ends a request, and what comes before its end.
FinalAnswer = Scored | Generated | Warmed | Failed
Answer = Progress | ScorerRows | ScorerDone | FinalAnswer

_REQUEST_KINDS: dict[str, Any] = {
    "score": ScoreRequest,
    "generate": GenerateRequest,
    "warm": WarmRequest,
    "cancel": CancelRequest,
}
_ANSWER_KINDS: dict[str, Any] = {
    "progress": Progress,
    "scorerRows": ScorerRows,
    "scorerDone": ScorerDone,
    "scored": Scored,
    "generated": Generated,
    "warmed": Warmed,
    "failed": Failed,
}


class BadMessage(ValueError):
    """A line that is not a message of a kind this side knows, with every field that kind needs."""


def encode(message: Request | Answer) -> bytes:
    # repr for what JSON cannot hold: a scorer's odd return value must not lose the whole answer.
    return (json.dumps(message, ensure_ascii=False, default=repr) + "\n").encode()


def decode_request(line: str | bytes) -> Request:
    return cast(Request, _decode(line, _REQUEST_KINDS))


def decode_answer(line: str | bytes) -> Answer:
    return cast(Answer, _decode(line, _ANSWER_KINDS))


def _decode(line: str | bytes, kinds: dict[str, Any]) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError as exc:
        raise BadMessage(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise BadMessage(f"not an object: {type(message).__name__}")
    declared = kinds.get(message.get("kind"))  # type: ignore[arg-type]
    if declared is None:
        raise BadMessage(f"unknown kind {message.get('kind')!r}")
    missing = declared.__required_keys__ - message.keys()
    if missing:
        raise BadMessage(f"{message['kind']} without {', '.join(sorted(missing))}")
    return message
