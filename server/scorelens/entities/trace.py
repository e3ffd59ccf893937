"""A trace: everything one request to the app did, as a tree of spans.

Read as MLflow's `mlflow.entities.Trace`: `trace.info` (TraceInfo: `trace_id`, `state`,
`request_time`, `execution_duration`, `trace_metadata`, `tags`, `assessments`, `token_usage`)
and `trace.data` (TraceData: `spans`, `request`, `response`), plus `search_spans` and
`search_assessments`. `trace.spans` and `trace.root_span` are ScoreLens's shorthands.

JSON schema (what `Trace.to_json` writes and the store keeps, one document per trace)::

    {
      "info": {
        "trace_id": "tr-<32 hex>",
        "experiment_id": "0",
        "run_id": "<32 hex>" | null,
        "request_time": <ms since the epoch>,
        "execution_duration": <ms> | null,
        "state": "OK" | "ERROR" | "IN_PROGRESS",
        "expectations": {...},
        "tags": {"<str>": "<str>"},
        "trace_metadata": {"<str>": "<str>"},      # optional; MLflow's keys (tracing.constant)
        "assessments": [<Assessment.to_dictionary()>, ...]   # optional; never in the store's
      },                                                     # trace files (see store/)
      "spans": [<Span.to_dict()>, ...]      # parents before children, root first
    }

`Trace.from_dict`/`from_json` also read MLflow's own trace JSON (`mlflow.entities.Trace.to_json`,
the `trace` column of MLflow's `search_traces`), so traces recorded by MLflow can be scored here.

Strict JSON only: a NaN or infinity, which JSON cannot hold, is written as null and reads back as
None (the store writes every file this way too).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from scorelens.entities.assessment import Assessment, Expectation, Feedback, _rfc3339_to_ms
from scorelens.entities.span import Span, SpanType

# tracing.constant's keys, spelled out: importing scorelens.tracing from here would be circular.
_SOURCE_RUN_KEY = "mlflow.sourceRun"
_TOKEN_USAGE_KEY = "mlflow.trace.tokenUsage"


class TraceState(str, Enum):
    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"

    def __str__(self) -> str:
        return self.value


@dataclass
class TraceInfo:
    """What is known about a trace besides its spans.

    `run_id` is also MLflow's `trace_metadata["mlflow.sourceRun"]`; `expectations` are the eval
    row's, which `search_assessments(type="expectation")` also lists as Expectation objects.
    """

    trace_id: str
    experiment_id: str = "0"
    run_id: str | None = None
    request_time: int = 0
    execution_duration: int | None = None
    state: TraceState = TraceState.OK
    expectations: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    trace_metadata: dict[str, str] = field(default_factory=dict)
    assessments: list[Assessment] = field(default_factory=list)
    client_request_id: str | None = None
    request_preview: str | None = None
    response_preview: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.state, TraceState):
            self.state = TraceState(str(self.state))
        if self.run_id is None:
            self.run_id = self.trace_metadata.get(_SOURCE_RUN_KEY)
        elif self.trace_metadata.get(_SOURCE_RUN_KEY) != self.run_id:
            self.trace_metadata[_SOURCE_RUN_KEY] = self.run_id

    @property
    def request_id(self) -> str:
        """MLflow's deprecated name for `trace_id`."""
        return self.trace_id

    @property
    def request_metadata(self) -> dict[str, str]:
        """MLflow's deprecated name for `trace_metadata`."""
        return self.trace_metadata

    @property
    def timestamp_ms(self) -> int:
        return self.request_time

    @property
    def execution_time_ms(self) -> int | None:
        return self.execution_duration

    @property
    def token_usage(self) -> dict[str, int] | None:
        """Tokens used by the trace's LLM calls: `input_tokens`, `output_tokens`, `total_tokens`.

        None when no span recorded any (as in MLflow).
        """
        usage = self.trace_metadata.get(_TOKEN_USAGE_KEY)
        if not usage:
            return None
        parsed: dict[str, int] = json.loads(usage)
        return parsed

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "trace_id": self.trace_id,
            "experiment_id": self.experiment_id,
            "run_id": self.run_id,
            "request_time": self.request_time,
            "execution_duration": self.execution_duration,
            "state": str(self.state),
            "expectations": self.expectations,
            "tags": self.tags,
        }
        # The run id is already a field: keep stored traces as small as before.
        metadata = {k: v for k, v in self.trace_metadata.items() if k != _SOURCE_RUN_KEY}
        if metadata:
            out["trace_metadata"] = metadata
        for key, value in (
            ("client_request_id", self.client_request_id),
            ("request_preview", self.request_preview),
            ("response_preview", self.response_preview),
        ):
            if value is not None:
                out[key] = value
        if self.assessments:
            out["assessments"] = [a.to_dictionary() for a in self.assessments]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceInfo:
        if "trace_location" in data or "execution_duration_ms" in data:
            return _info_from_mlflow(data)
        # Field by field rather than through __init__: a store load reads one per trace.
        state = data.get("state", "OK")
        metadata = dict(data.get("trace_metadata") or {})
        run_id = data.get("run_id")
        if run_id is None:
            run_id = metadata.get(_SOURCE_RUN_KEY)
        elif metadata.get(_SOURCE_RUN_KEY) != run_id:
            metadata[_SOURCE_RUN_KEY] = run_id
        assessments = data.get("assessments")
        info = object.__new__(cls)
        info.__dict__.update(
            trace_id=data["trace_id"],
            experiment_id=str(data.get("experiment_id", "0")),
            run_id=run_id,
            request_time=int(data.get("request_time", 0)),
            execution_duration=data.get("execution_duration"),
            state=_STATES.get(state) or TraceState(state),
            expectations=dict(data.get("expectations") or {}),
            tags=dict(data.get("tags") or {}),
            trace_metadata=metadata,
            assessments=[_assessment_from_any(a) for a in assessments] if assessments else [],
            client_request_id=data.get("client_request_id"),
            request_preview=data.get("request_preview"),
            response_preview=data.get("response_preview"),
        )
        return info


_STATES: dict[str, TraceState] = {s.value: s for s in TraceState}


def _assessment_from_any(data: dict[str, Any]) -> Assessment:
    # MLflow's dictionary names the assessment "assessment_name"; the store's record, "name".
    if "assessment_name" in data:
        return Assessment.from_dictionary(data)
    return Assessment.from_record(data)


class TraceData:
    """The spans of a trace, and its request and response as MLflow gives them: JSON text."""

    def __init__(self, spans: list[Span] | None = None, **kwargs: Any) -> None:
        self.spans: list[Span] = [] if spans is None else spans

    def __repr__(self) -> str:
        return f"TraceData(spans={self.spans!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TraceData) and self.spans == other.spans

    def _get_root_span(self) -> Span | None:
        return next((s for s in self.spans if s.parent_id is None), None)

    @property
    def request(self) -> str | None:
        """The root span's inputs as a JSON string (None without a root span)."""
        root = self._get_root_span()
        return None if root is None else _json_text(root.inputs)

    @property
    def response(self) -> str | None:
        """The root span's outputs as a JSON string; None when it raised before returning."""
        root = self._get_root_span()
        if root is None or (root.outputs is None and root.status.status_code == "ERROR"):
            return None
        return _json_text(root.outputs)

    def to_dict(self) -> dict[str, Any]:
        return {"spans": [span.to_dict() for span in self.spans]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TraceData:
        if not isinstance(d, dict):
            raise TypeError(f"TraceData.from_dict() expects a dictionary. Got: {type(d).__name__}")
        return cls(spans=[Span.from_dict(s) for s in d.get("spans", [])])


def _json_text(value: Any) -> str:
    # MLflow serialises span inputs and outputs with json.dumps(..., ensure_ascii=False).
    return dumps_json(value)


@dataclass(init=False)
class Trace:
    """`info` and `data`, as in MLflow. `Trace(info, spans)` and `Trace(info, data)` both work."""

    info: TraceInfo
    data: TraceData

    def __init__(
        self,
        info: TraceInfo,
        data: TraceData | list[Span] | None = None,
        *,
        spans: list[Span] | None = None,
    ) -> None:
        self.info = info
        if isinstance(data, TraceData):
            self.data = data
        else:
            self.data = TraceData(spans if data is None else data)

    def __repr__(self) -> str:
        return f"Trace(trace_id={self.info.trace_id!r})"

    @property
    def spans(self) -> list[Span]:
        return self.data.spans

    @spans.setter
    def spans(self, spans: list[Span]) -> None:
        self.data.spans = spans

    @property
    def trace_id(self) -> str:
        return self.info.trace_id

    @property
    def root_span(self) -> Span | None:
        return self.data._get_root_span()

    @property
    def inputs(self) -> Any:
        root = self.root_span
        return None if root is None else root.inputs

    @property
    def outputs(self) -> Any:
        root = self.root_span
        return None if root is None else root.outputs

    def search_spans(
        self,
        span_type: SpanType | str | None = None,
        name: str | re.Pattern[str] | None = None,
        span_id: str | None = None,
    ) -> list[Span]:
        """Spans matching every given criterion, in recorded order; `name` may be a regex."""
        if span_type is not None and not isinstance(span_type, str):
            raise TypeError(
                f"Invalid type for 'span_type'. Expected str or SpanType. Got: {type(span_type)}"
            )
        if name is not None and not isinstance(name, (str, re.Pattern)):
            raise TypeError(
                f"Invalid type for 'name'. Expected str or re.Pattern. Got: {type(name)}"
            )
        wanted_type = None if span_type is None else str(span_type)
        return [
            s
            for s in self.data.spans
            if (wanted_type is None or s.span_type == wanted_type)
            and (
                name is None
                or (s.name == name if isinstance(name, str) else name.search(s.name) is not None)
            )
            and (span_id is None or s.span_id == span_id)
        ]

    def search_assessments(
        self,
        name: str | None = None,
        *,
        span_id: str | None = None,
        all: bool = False,
        type: Literal["expectation", "feedback"] | None = None,
    ) -> list[Assessment]:
        """The trace's assessments by name, span, kind; only valid ones unless `all=True`.

        The eval row's expectations count as Expectation assessments, as MLflow logs them.
        """
        candidates = [*self.info.assessments, *self._expectation_assessments()]
        return [
            a
            for a in candidates
            if (name is None or a.name == name)
            and (span_id is None or a.span_id == span_id)
            and (all or a.valid in (True, None))
            and (
                type is None
                or (type == "expectation" and isinstance(a, Expectation))
                or (type == "feedback" and isinstance(a, Feedback))
            )
        ]

    def _expectation_assessments(self) -> list[Assessment]:
        logged = {a.name for a in self.info.assessments if isinstance(a, Expectation)}
        return [
            Expectation(
                name=key,
                value=value,
                trace_id=self.info.trace_id,
                create_time_ms=self.info.request_time,
                last_update_time_ms=self.info.request_time,
            )
            for key, value in self.info.expectations.items()
            if key not in logged and value is not None
        ]

    def children(self, span: Span) -> list[Span]:
        return [s for s in self.data.spans if s.parent_id == span.span_id]

    def walk(self) -> Iterator[tuple[int, Span]]:
        """(depth, span) pairs in depth-first order, for printing a span tree."""
        by_parent: dict[str | None, list[Span]] = {}
        for s in self.data.spans:
            by_parent.setdefault(s.parent_id, []).append(s)
        stack = [(0, s) for s in reversed(by_parent.get(None, []))]
        while stack:
            depth, span = stack.pop()
            yield depth, span
            stack.extend((depth + 1, c) for c in reversed(by_parent.get(span.span_id, [])))

    def to_dict(self) -> dict[str, Any]:
        return {"info": self.info.to_dict(), "spans": [s.to_dict() for s in self.data.spans]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trace:
        if "info" not in data or ("spans" not in data and "data" not in data):
            raise ValueError(
                "Unable to parse Trace from dictionary. Expected keys: 'info' and 'data' "
                f"(or 'spans'). Received keys: {list(data.keys())}"
            )
        if "data" in data:
            return cls(TraceInfo.from_dict(data["info"]), TraceData.from_dict(data["data"]))
        span_from_dict = Span.from_dict
        return cls(
            TraceInfo.from_dict(data["info"]),
            TraceData([span_from_dict(s) for s in data.get("spans") or []]),
        )

    def to_json(self, pretty: bool = False) -> str:
        return dumps_json(self.to_dict(), indent=2 if pretty else None)

    @classmethod
    def from_json(cls, trace_json: str | bytes | dict[str, Any] | Trace) -> Trace:
        """A Trace from its JSON (ScoreLens's or MLflow's), its dict, or a Trace itself."""
        if isinstance(trace_json, Trace):
            return trace_json
        if isinstance(trace_json, dict):
            return cls.from_dict(trace_json)
        return cls.from_dict(json.loads(trace_json))


def expectations_of(info: TraceInfo) -> dict[str, Any]:
    """The trace's expectations: the eval row's, and those logged on it as Expectation
    assessments (which win, by name), as MLflow's evaluate reads a trace's expectations."""
    logged = [a for a in info.assessments if isinstance(a, Expectation) and a.valid is not False]
    if not logged:
        return info.expectations
    return {**info.expectations, **{a.name: a.value for a in logged}}


# -- MLflow's own trace JSON -------------------------------------------------------------------


def _info_from_mlflow(data: dict[str, Any]) -> TraceInfo:
    location = data.get("trace_location") or {}
    experiment = (location.get("mlflow_experiment") or {}).get("experiment_id")
    request_time = data.get("request_time", 0)
    if isinstance(request_time, str):
        request_time = _rfc3339_to_ms(request_time)
    return TraceInfo(
        trace_id=data.get("trace_id") or data["request_id"],
        experiment_id=str(experiment or data.get("experiment_id") or "0"),
        request_time=int(request_time),
        execution_duration=data.get("execution_duration_ms", data.get("execution_duration")),
        state=TraceState(data.get("state") or TraceState.STATE_UNSPECIFIED.value),
        tags=dict(data.get("tags") or {}),
        trace_metadata=dict(data.get("trace_metadata") or {}),
        assessments=[Assessment.from_dictionary(a) for a in data.get("assessments") or []],
        client_request_id=data.get("client_request_id"),
        request_preview=data.get("request_preview"),
        response_preview=data.get("response_preview"),
    )


def dumps_json(
    data: Any, indent: int | None = None, separators: tuple[str, str] | None = None
) -> str:
    """Strict JSON text of `data`, with NaN and infinities written as null."""
    try:
        return json.dumps(
            data, ensure_ascii=False, allow_nan=False, indent=indent, separators=separators
        )
    except ValueError:
        # Only now walk the data: finite values, by far the common case, cost nothing extra.
        return json.dumps(
            _finite(data), ensure_ascii=False, allow_nan=False, indent=indent, separators=separators
        )


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
