"""The live side of tracing: which span is active, building traces, handing finished ones on.

The active span lives in a ContextVar, so asyncio tasks inherit their parent's span and threads
start clean; a trace is finished when its root span ends and is then given to the sink that is
current in that context (a collector inside `evaluate`, else the store exporter).
"""

from __future__ import annotations

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

from scorelens.entities import Span, SpanEvent, SpanStatusCode, SpanType, Trace, TraceInfo
from scorelens.entities.trace import TraceState
from scorelens.tracing.report import recording_failed, recording_works
from scorelens.tracing.serialize import to_jsonable

UNSERIALIZABLE_ATTRIBUTE = "scorelens.unserializable"


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

    def add(self, span: Span) -> None:
        with self.lock:
            self.spans.append(span)

    def finish(self, root: Span) -> None:
        state = TraceState.ERROR if root.status == SpanStatusCode.ERROR else TraceState.OK
        duration = root.duration_ns
        info = TraceInfo(
            trace_id=self.trace_id,
            experiment_id=self.destination.experiment_id or "0",
            run_id=self.destination.run_id,
            request_time=self.request_time_ms,
            execution_duration=None if duration is None else duration // 1_000_000,
            state=state.value,
        )
        with self.lock:
            spans = list(self.spans)
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

    def set_inputs(self, inputs: Any) -> None:
        self._span.inputs = self._record("inputs", inputs)

    def set_outputs(self, outputs: Any) -> None:
        self._span.outputs = self._record("outputs", outputs)

    def set_attribute(self, key: str, value: Any) -> None:
        self._span.attributes[key] = self._record(f"attributes.{key}", value)

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_status(self, code: SpanStatusCode | str, message: str = "") -> None:
        self._span.status = str(code)
        self._span.status_message = message

    def add_event(self, name: str, attributes: dict[str, Any] | None = None) -> None:
        safe, _ = to_jsonable(attributes or {})
        self._span.events.append(SpanEvent(name, time.time_ns(), safe))

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
        if self._span.status == SpanStatusCode.UNSET:
            self._span.status = SpanStatusCode.OK.value
        if self._span.parent_id is None:
            self._builder.finish(self._span)


def current_span() -> LiveSpan | None:
    return _active_span.get()


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
