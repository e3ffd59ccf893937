"""A span: one timed operation inside a trace, with its inputs, outputs and attributes.

Read as MLflow's `mlflow.entities.Span`: `name`, `span_id`, `trace_id`, `parent_id`,
`span_type`, `start_time_ns`, `end_time_ns`, `status` (a SpanStatus), `inputs`, `outputs`,
`attributes`, `events`, `get_attribute(key)`.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from scorelens.entities.span_status import SpanStatus, SpanStatusCode


class SpanType(str, Enum):
    """What kind of work a span records. Values match MLflow's so stored data ports across."""

    LLM = "LLM"
    CHAT_MODEL = "CHAT_MODEL"
    CHAIN = "CHAIN"
    AGENT = "AGENT"
    TOOL = "TOOL"
    RETRIEVER = "RETRIEVER"
    EMBEDDING = "EMBEDDING"
    PARSER = "PARSER"
    RERANKER = "RERANKER"
    MEMORY = "MEMORY"
    WORKFLOW = "WORKFLOW"
    TASK = "TASK"
    GUARDRAIL = "GUARDRAIL"
    EVALUATOR = "EVALUATOR"
    UNKNOWN = "UNKNOWN"

    def __str__(self) -> str:
        return self.value


@dataclass
class SpanEvent:
    """A point in time inside a span; an exception is recorded as an event named "exception".

    `timestamp` is in nanoseconds since the epoch, as in MLflow (`timestamp_ns` is the same).
    """

    name: str
    timestamp: int = field(default_factory=time.time_ns)
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def timestamp_ns(self) -> int:
        return self.timestamp

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "timestamp_ns": self.timestamp, "attributes": self.attributes}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpanEvent:
        stamp = data["timestamp_ns"] if "timestamp_ns" in data else data["timestamp"]
        return cls(data["name"], int(stamp), dict(data.get("attributes") or {}))


# Stored codes are plain strings; a lookup is cheaper than the enum's constructor on every load.
_CODES: dict[str, SpanStatusCode] = {c.value: c for c in SpanStatusCode}

# MLflow's reserved attribute keys (tracing.constant.SpanAttributeKey) that name what ScoreLens
# keeps in fields of its own; `get_attribute` answers them from those fields.
_MLFLOW_INPUTS = "mlflow.spanInputs"
_MLFLOW_OUTPUTS = "mlflow.spanOutputs"
_MLFLOW_SPAN_TYPE = "mlflow.spanType"
_MLFLOW_TRACE_ID = "mlflow.traceRequestId"


@dataclass(init=False)
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    span_type: str
    start_time_ns: int
    end_time_ns: int | None
    status: SpanStatus
    inputs: Any
    outputs: Any
    attributes: dict[str, Any]
    events: list[SpanEvent]

    def __init__(
        self,
        trace_id: str,
        span_id: str,
        parent_id: str | None,
        name: str,
        span_type: str = SpanType.UNKNOWN.value,
        start_time_ns: int = 0,
        end_time_ns: int | None = None,
        status: SpanStatus | SpanStatusCode | str = SpanStatusCode.UNSET,
        status_message: str = "",
        inputs: Any = None,
        outputs: Any = None,
        attributes: dict[str, Any] | None = None,
        events: list[SpanEvent] | None = None,
    ) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_id = parent_id
        self.name = name
        self.span_type = str(span_type)
        self.start_time_ns = start_time_ns
        self.end_time_ns = end_time_ns
        if isinstance(status, SpanStatus):
            self.status = status
        else:
            code = _CODES.get(status)
            self.status = SpanStatus(
                code if code is not None else SpanStatusCode(str(status)), status_message
            )
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = {} if attributes is None else attributes
        self.events = [] if events is None else events

    @property
    def request_id(self) -> str:
        """MLflow's deprecated name for `trace_id`."""
        return self.trace_id

    @property
    def status_message(self) -> str:
        """The status description: the exception, `Type: message`, for a span that raised."""
        return self.status.description

    # MLflow's "Scorer Concepts" page computes latency as `span.end_time - span.start_time` in
    # nanoseconds; MLflow's Span has no such attributes, so its own example fails. These serve
    # the page's intent.
    @property
    def start_time(self) -> int:
        return self.start_time_ns

    @property
    def end_time(self) -> int | None:
        return self.end_time_ns

    @property
    def duration_ns(self) -> int | None:
        return None if self.end_time_ns is None else self.end_time_ns - self.start_time_ns

    def get_attribute(self, key: str, default: Any = None) -> Any:
        if key in self.attributes:
            return self.attributes[key]
        if key == _MLFLOW_INPUTS:
            return self.inputs
        if key == _MLFLOW_OUTPUTS:
            return self.outputs
        if key == _MLFLOW_SPAN_TYPE:
            return self.span_type
        return default

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "name": self.name,
            "span_type": self.span_type,
            "start_time_ns": self.start_time_ns,
            "end_time_ns": self.end_time_ns,
            "status": {"code": self.status.status_code.value, "message": self.status.description},
            "inputs": self.inputs,
            "outputs": self.outputs,
            "attributes": self.attributes,
            "events": [event.to_dict() for event in self.events],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Span:
        """A span from `to_dict()`'s form, or from MLflow's (`mlflow.entities.Span.to_dict()`)."""
        if "start_time_unix_nano" in data:
            return _span_from_mlflow(data)
        status = data.get("status") or {}
        return cls(
            trace_id=data["trace_id"],
            span_id=data["span_id"],
            parent_id=data.get("parent_id"),
            name=data["name"],
            span_type=data.get("span_type", SpanType.UNKNOWN.value),
            start_time_ns=int(data.get("start_time_ns", 0)),
            end_time_ns=data.get("end_time_ns"),
            status=status.get("code", SpanStatusCode.UNSET.value),
            status_message=status.get("message", ""),
            inputs=data.get("inputs"),
            outputs=data.get("outputs"),
            attributes=dict(data.get("attributes") or {}),
            events=[SpanEvent.from_dict(e) for e in data.get("events") or []],
        )


def _span_from_mlflow(data: dict[str, Any]) -> Span:
    # MLflow's span dict: OpenTelemetry names, base64 ids, every attribute a JSON string.
    attributes: dict[str, Any] = {}
    for key, raw in (data.get("attributes") or {}).items():
        try:
            attributes[key] = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            attributes[key] = raw
    status = data.get("status") or {}
    code = str(status.get("code") or "STATUS_CODE_UNSET").removeprefix("STATUS_CODE_")
    parent = data.get("parent_span_id")
    end = data.get("end_time_unix_nano")
    return Span(
        trace_id=str(attributes.pop(_MLFLOW_TRACE_ID, None) or _hex_id(data.get("trace_id"))),
        span_id=_hex_id(data["span_id"]),
        parent_id=_hex_id(parent) if parent else None,
        name=data["name"],
        span_type=str(attributes.pop(_MLFLOW_SPAN_TYPE, None) or SpanType.UNKNOWN.value),
        start_time_ns=int(data["start_time_unix_nano"]),
        end_time_ns=None if end is None else int(end),
        status=SpanStatusCode(code) if code in SpanStatusCode.__members__ else "UNSET",
        status_message=status.get("message") or "",
        inputs=attributes.pop(_MLFLOW_INPUTS, None),
        outputs=attributes.pop(_MLFLOW_OUTPUTS, None),
        attributes=attributes,
        events=[_event_from_mlflow(e) for e in data.get("events") or []],
    )


def _event_from_mlflow(data: dict[str, Any]) -> SpanEvent:
    stamp = data.get("time_unix_nano", data.get("timestamp", 0))
    attributes = data.get("attributes") or {}
    if isinstance(attributes, str):
        attributes = json.loads(attributes)
    return SpanEvent(data["name"], int(stamp), dict(attributes))


def _hex_id(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return base64.b64decode(value, validate=True).hex()
    except ValueError:
        return value


__all__ = ["Span", "SpanEvent", "SpanStatus", "SpanStatusCode", "SpanType"]
