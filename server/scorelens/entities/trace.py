"""A trace: everything one request to the app did, as a tree of spans.

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
        "tags": {"<str>": "<str>"}
      },
      "spans": [<Span.to_dict()>, ...]      # parents before children, root first
    }

Strict JSON only: a NaN or infinity, which JSON cannot hold, is written as null and reads back as
None (the store writes every file this way too).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from scorelens.entities.span import Span, SpanType


class TraceState(str, Enum):
    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"

    def __str__(self) -> str:
        return self.value


@dataclass
class TraceInfo:
    trace_id: str
    experiment_id: str = "0"
    run_id: str | None = None
    request_time: int = 0
    execution_duration: int | None = None
    state: str = TraceState.OK.value
    expectations: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "experiment_id": self.experiment_id,
            "run_id": self.run_id,
            "request_time": self.request_time,
            "execution_duration": self.execution_duration,
            "state": self.state,
            "expectations": self.expectations,
            "tags": self.tags,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceInfo:
        return cls(
            trace_id=data["trace_id"],
            experiment_id=str(data.get("experiment_id", "0")),
            run_id=data.get("run_id"),
            request_time=int(data.get("request_time", 0)),
            execution_duration=data.get("execution_duration"),
            state=data.get("state", TraceState.OK.value),
            expectations=dict(data.get("expectations") or {}),
            tags=dict(data.get("tags") or {}),
        )


@dataclass
class Trace:
    info: TraceInfo
    spans: list[Span] = field(default_factory=list)

    @property
    def trace_id(self) -> str:
        return self.info.trace_id

    @property
    def root_span(self) -> Span | None:
        return next((s for s in self.spans if s.parent_id is None), None)

    @property
    def inputs(self) -> Any:
        root = self.root_span
        return None if root is None else root.inputs

    @property
    def outputs(self) -> Any:
        root = self.root_span
        return None if root is None else root.outputs

    def search_spans(
        self, span_type: SpanType | str | None = None, name: str | None = None
    ) -> list[Span]:
        """Spans matching every given criterion, in recorded order."""
        wanted_type = None if span_type is None else str(span_type)
        return [
            s
            for s in self.spans
            if (wanted_type is None or s.span_type == wanted_type)
            and (name is None or s.name == name)
        ]

    def children(self, span: Span) -> list[Span]:
        return [s for s in self.spans if s.parent_id == span.span_id]

    def walk(self) -> Iterator[tuple[int, Span]]:
        """(depth, span) pairs in depth-first order, for printing a span tree."""
        by_parent: dict[str | None, list[Span]] = {}
        for s in self.spans:
            by_parent.setdefault(s.parent_id, []).append(s)
        stack = [(0, s) for s in reversed(by_parent.get(None, []))]
        while stack:
            depth, span = stack.pop()
            yield depth, span
            stack.extend((depth + 1, c) for c in reversed(by_parent.get(span.span_id, [])))

    def to_dict(self) -> dict[str, Any]:
        return {"info": self.info.to_dict(), "spans": [s.to_dict() for s in self.spans]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trace:
        return cls(
            info=TraceInfo.from_dict(data["info"]),
            spans=[Span.from_dict(s) for s in data.get("spans") or []],
        )

    def to_json(self, pretty: bool = False) -> str:
        return dumps_json(self.to_dict(), indent=2 if pretty else None)

    @classmethod
    def from_json(cls, text: str) -> Trace:
        return cls.from_dict(json.loads(text))


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
