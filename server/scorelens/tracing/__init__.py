"""Recording what an app does as traces of nested spans."""

from scorelens.tracing.context import (
    LiveSpan,
    TraceDestination,
    current_span,
    trace_destination,
)
from scorelens.tracing.decorator import start_span, trace

__all__ = [
    "LiveSpan",
    "TraceDestination",
    "current_span",
    "start_span",
    "trace",
    "trace_destination",
]
