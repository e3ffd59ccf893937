"""A span: one timed operation inside a trace, with its inputs, outputs and attributes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


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


class SpanStatusCode(str, Enum):
    UNSET = "UNSET"
    OK = "OK"
    ERROR = "ERROR"

    def __str__(self) -> str:
        return self.value


@dataclass
class SpanEvent:
    """A point in time inside a span; an exception is recorded as an event named "exception"."""

    name: str
    timestamp_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "timestamp_ns": self.timestamp_ns, "attributes": self.attributes}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpanEvent:
        return cls(data["name"], int(data["timestamp_ns"]), dict(data.get("attributes") or {}))


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    span_type: str = SpanType.UNKNOWN.value
    start_time_ns: int = 0
    end_time_ns: int | None = None
    status: str = SpanStatusCode.UNSET.value
    status_message: str = ""
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[SpanEvent] = field(default_factory=list)

    @property
    def duration_ns(self) -> int | None:
        return None if self.end_time_ns is None else self.end_time_ns - self.start_time_ns

    def get_attribute(self, key: str, default: Any = None) -> Any:
        return self.attributes.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "name": self.name,
            "span_type": self.span_type,
            "start_time_ns": self.start_time_ns,
            "end_time_ns": self.end_time_ns,
            "status": {"code": self.status, "message": self.status_message},
            "inputs": self.inputs,
            "outputs": self.outputs,
            "attributes": self.attributes,
            "events": [event.to_dict() for event in self.events],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Span:
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
