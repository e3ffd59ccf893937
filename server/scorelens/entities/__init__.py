"""The data ScoreLens records and reasons about: traces, spans and feedback."""

from scorelens.entities.feedback import Feedback
from scorelens.entities.span import Span, SpanEvent, SpanStatusCode, SpanType
from scorelens.entities.trace import Trace, TraceInfo, TraceState

__all__ = [
    "Feedback",
    "Span",
    "SpanEvent",
    "SpanStatusCode",
    "SpanType",
    "Trace",
    "TraceInfo",
    "TraceState",
]
