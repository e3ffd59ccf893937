"""A span as JSON, the shape MLflow's `Span.to_dict()` gives it: what the editor is sent for a
trace's spans and for a scorer's own model calls (judge spans)."""

from __future__ import annotations

from typing import Any, TypedDict


class SpanStatus(TypedDict):
    code: str
    message: str


class SpanEventData(TypedDict):
    name: str
    timestamp_ns: int
    attributes: dict[str, Any]


class SpanData(TypedDict):
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
    events: list[SpanEventData]
