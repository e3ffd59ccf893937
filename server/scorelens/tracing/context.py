"""The live side of tracing: which span is active, building traces, handing finished ones on.

The active span lives in a ContextVar, so asyncio tasks inherit their parent's span and threads
start clean; a trace is finished when its root span ends and is then given to the sink that is
current in that context (a collector inside `evaluate`, else the store exporter).
"""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from scorelens.entities import (
    Assessment,
    Span,
    SpanEvent,
    SpanStatus,
    SpanStatusCode,
    SpanType,
    Trace,
    TraceInfo,
    TraceState,
)
from scorelens.tracing.constant import (
    SpanAttributeKey,
    TokenUsageKey,
    TraceMetadataKey,
    TraceTagKey,
)
from scorelens.tracing.report import recording_failed, recording_works
from scorelens.tracing.serialize import to_jsonable

UNSERIALIZABLE_ATTRIBUTE = "scorelens.unserializable"

# The trace most recently finished in this process, and in this thread (MLflow's
# get_last_active_trace_id with and without thread_local).
_last_trace_id: str | None = None
_last_trace_id_here = threading.local()
# The active model (set_active_model): its id goes into every new trace's metadata.
_active_model_id: str | None = None


@dataclass(frozen=True)
class TraceDestination:
    """Where finished traces go and what they are tagged with."""

    sink: Callable[[Trace], None]
    experiment_id: str | None = None
    run_id: str | None = None


_active_span: ContextVar[LiveSpan | None] = ContextVar("scorelens_active_span", default=None)
_destination: ContextVar[TraceDestination | None] = ContextVar(
    "scorelens_trace_destination", default=None
)
_default_destination: Callable[[], TraceDestination] | None = None


def set_default_destination(factory: Callable[[], TraceDestination]) -> None:
    """Installed once by the package so tracing does not import the store (no cycle)."""
    global _default_destination
    _default_destination = factory


@contextmanager
def trace_destination(destination: TraceDestination) -> Iterator[None]:
    token = _destination.set(destination)
    try:
        yield
    finally:
        _destination.reset(token)


class _TraceBuilder:
    def __init__(self, destination: TraceDestination) -> None:
        self.destination = destination
        self.trace_id = "tr-" + uuid.uuid4().hex
        self.spans: list[Span] = []
        self.lock = threading.Lock()
        self.request_time_ms = time.time_ns() // 1_000_000
        # What update_current_trace set while the trace was live, applied when it finishes.
        self.tags: dict[str, str] = {}
        self.metadata: dict[str, str] = {}
        if _active_model_id is not None:
            self.metadata[TraceMetadataKey.MODEL_ID] = _active_model_id
        self.client_request_id: str | None = None
        self.state: TraceState | None = None
        self.request_preview: str | None = None
        self.response_preview: str | None = None
        self.assessments: list[Assessment] = []

    def add(self, span: Span) -> None:
        with self.lock:
            self.spans.append(span)

    def finish(self, root: Span) -> None:
        global _last_trace_id
        state = self.state or (
            TraceState.ERROR if root.status.status_code == SpanStatusCode.ERROR else TraceState.OK
        )
        duration = root.duration_ns
        with self.lock:
            spans = list(self.spans)
        metadata = dict(self.metadata)
        usage = aggregate_token_usage(spans)
        if usage is not None:
            metadata[TraceMetadataKey.TOKEN_USAGE] = json.dumps(usage)
        info = TraceInfo(
            trace_id=self.trace_id,
            experiment_id=self.destination.experiment_id or "0",
            run_id=self.destination.run_id,
            request_time=self.request_time_ms,
            execution_duration=None if duration is None else duration // 1_000_000,
            state=state,
            tags={TraceTagKey.TRACE_NAME: root.name, **self.tags},
            trace_metadata=metadata,
            client_request_id=self.client_request_id,
            request_preview=self.request_preview,
            response_preview=self.response_preview,
            assessments=list(self.assessments),
        )
        _last_trace_id = self.trace_id
        _last_trace_id_here.value = self.trace_id
        try:
            self.destination.sink(Trace(info=info, spans=spans))
        except Exception as exc:
            # Runs inside the app's call (its span is ending): raising would lose its result.
            recording_failed("sink", f"{type(exc).__name__}: {exc}")


class LiveSpan:
    """A span being recorded. `start_span` yields one; set inputs, outputs and attributes on it."""

    def __init__(self, span: Span, builder: _TraceBuilder) -> None:
        self._span = span
        self._builder = builder

    @property
    def span_id(self) -> str:
        return self._span.span_id

    @property
    def trace_id(self) -> str:
        return self._span.trace_id

    @property
    def name(self) -> str:
        return self._span.name

    @property
    def request_id(self) -> str:
        return self._span.trace_id

    @property
    def parent_id(self) -> str | None:
        return self._span.parent_id

    @property
    def span_type(self) -> str:
        return self._span.span_type

    @property
    def start_time_ns(self) -> int:
        return self._span.start_time_ns

    @property
    def end_time_ns(self) -> int | None:
        return self._span.end_time_ns

    @property
    def status(self) -> SpanStatus:
        return self._span.status

    @property
    def inputs(self) -> Any:
        return self._span.inputs

    @property
    def outputs(self) -> Any:
        return self._span.outputs

    @property
    def attributes(self) -> dict[str, Any]:
        return dict(self._span.attributes)

    @property
    def events(self) -> list[SpanEvent]:
        return list(self._span.events)

    def get_attribute(self, key: str) -> Any:
        return self._span.get_attribute(key)

    def set_span_type(self, span_type: SpanType | str) -> None:
        self._span.span_type = str(span_type)

    def set_inputs(self, inputs: Any) -> None:
        self._span.inputs = self._record("inputs", inputs)

    def set_outputs(self, outputs: Any) -> None:
        self._span.outputs = self._record("outputs", outputs)

    def set_attribute(self, key: str, value: Any) -> None:
        self._span.attributes[key] = self._record(f"attributes.{key}", value)

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_status(self, status: SpanStatus | SpanStatusCode | str, message: str = "") -> None:
        """MLflow's `set_status(SpanStatusCode | str)`; also a SpanStatus, or a code and message."""
        if isinstance(status, SpanStatus):
            self._span.status = SpanStatus(status.status_code, status.description)
        else:
            self._span.status = SpanStatus(SpanStatusCode(str(status)), message)

    def add_event(self, event: SpanEvent | str, attributes: dict[str, Any] | None = None) -> None:
        """MLflow's `add_event(SpanEvent(...))`, or a name and attributes."""
        if isinstance(event, SpanEvent):
            name, stamp, given = event.name, event.timestamp, event.attributes
        else:
            name, stamp, given = event, time.time_ns(), attributes or {}
        safe, _ = to_jsonable(given)
        self._span.events.append(SpanEvent(name, stamp, safe))

    def record_exception(self, exc: BaseException) -> None:
        self.set_status(SpanStatusCode.ERROR, f"{type(exc).__name__}: {exc}")
        self.add_event(
            "exception",
            {
                "exception.type": type(exc).__name__,
                "exception.message": str(exc),
                "exception.stacktrace": "".join(
                    traceback.format_exception(type(exc), exc, exc.__traceback__)
                ),
            },
        )

    def _record(self, where: str, value: Any) -> Any:
        safe, flagged = to_jsonable(value)
        if flagged:
            marks = self._span.attributes.setdefault(UNSERIALIZABLE_ATTRIBUTE, [])
            marks.extend(where + p[1:] for p in flagged)
        return safe

    def end(self) -> None:
        if self._span.end_time_ns is not None:
            return
        self._span.end_time_ns = time.time_ns()
        if self._span.status.status_code == SpanStatusCode.UNSET:
            self._span.status = SpanStatus(SpanStatusCode.OK)
        if self._span.parent_id is None:
            self._builder.finish(self._span)


def current_span() -> LiveSpan | None:
    return _active_span.get()


def last_trace_id(thread_local: bool = False) -> str | None:
    if thread_local:
        found: str | None = getattr(_last_trace_id_here, "value", None)
        return found
    return _last_trace_id


def set_active_model_id(model_id: str | None) -> None:
    global _active_model_id
    _active_model_id = model_id


def active_model_id() -> str | None:
    return _active_model_id


def aggregate_token_usage(spans: list[Span]) -> dict[str, int] | None:
    """The trace's token usage: MLflow's sum over spans that record `mlflow.chat.tokenUsage`.

    A span under one that already reports usage is skipped (as in MLflow), so a wrapper that
    reports its children's total is not counted twice. None when no span reports any.
    """
    with_usage = {
        s.span_id: usage
        for s in spans
        if isinstance(usage := s.attributes.get(SpanAttributeKey.CHAT_USAGE), dict)
    }
    if not with_usage:
        return None
    parent_of = {s.span_id: s.parent_id for s in spans}
    keys = [TokenUsageKey.INPUT_TOKENS, TokenUsageKey.OUTPUT_TOKENS, TokenUsageKey.TOTAL_TOKENS]
    optional = [TokenUsageKey.CACHE_READ_INPUT_TOKENS, TokenUsageKey.CACHE_CREATION_INPUT_TOKENS]
    totals: dict[str, int] = dict.fromkeys(keys, 0)
    for span_id, usage in with_usage.items():
        ancestor, seen = parent_of.get(span_id), set()
        while ancestor is not None and ancestor not in with_usage and ancestor not in seen:
            seen.add(ancestor)
            ancestor = parent_of.get(ancestor)
        if ancestor is not None and ancestor in with_usage:
            continue
        for key in keys:
            totals[key] += _count(usage.get(key))
        for key in optional:
            if key in usage:
                totals[key] = totals.get(key, 0) + _count(usage[key])
    return totals


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def builder_of(span: LiveSpan) -> _TraceBuilder:
    return span._builder


def _discard(trace: Trace) -> None:
    pass


_NOWHERE = TraceDestination(_discard)


def _default() -> TraceDestination:
    if _default_destination is None:
        raise RuntimeError("scorelens tracing has no destination configured")
    try:
        destination = _default_destination()
    except Exception as exc:
        # The store could not be read (to find the current experiment): the app must still run.
        # Every new trace tries again, so a repaired store is used at once.
        recording_failed("destination", str(exc))
        return _NOWHERE
    recording_works("destination")
    return destination


def open_span(
    name: str,
    span_type: SpanType | str = SpanType.UNKNOWN,
    attributes: dict[str, Any] | None = None,
) -> LiveSpan:
    """Create a span under the active one (or as the root of a new trace); not yet active."""
    parent = _active_span.get()
    if parent is None:
        destination = _destination.get()
        if destination is None:
            destination = _default()
        builder = _TraceBuilder(destination)
        parent_id = None
    else:
        builder = parent._builder
        parent_id = parent.span_id
    span = Span(
        trace_id=builder.trace_id,
        span_id=os.urandom(8).hex(),
        parent_id=parent_id,
        name=name,
        span_type=str(span_type),
        start_time_ns=time.time_ns(),
    )
    builder.add(span)
    live = LiveSpan(span, builder)
    if attributes:
        live.set_attributes(attributes)
    return live


def activate(span: LiveSpan) -> Token[LiveSpan | None]:
    return _active_span.set(span)


def deactivate(token: Token[LiveSpan | None]) -> None:
    _active_span.reset(token)
