"""The data ScoreLens records and reasons about: traces, spans and assessments.

Names and module paths follow `mlflow.entities`: `scorelens.entities.Feedback` and
`scorelens.entities.assessment.Feedback` are the same class, and so on for every name here.
"""

from scorelens.entities.assessment import Assessment, Expectation, Feedback
from scorelens.entities.assessment_error import AssessmentError
from scorelens.entities.assessment_source import AssessmentSource, AssessmentSourceType
from scorelens.entities.document import Document
from scorelens.entities.span import Span, SpanEvent, SpanType
from scorelens.entities.span_status import SpanStatus, SpanStatusCode
from scorelens.entities.trace import Trace, TraceData, TraceInfo, TraceState

__all__ = [
    "Assessment",
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "Document",
    "Expectation",
    "Feedback",
    "Span",
    "SpanEvent",
    "SpanStatus",
    "SpanStatusCode",
    "SpanType",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceState",
]
