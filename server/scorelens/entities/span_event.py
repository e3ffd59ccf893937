"""`mlflow.entities.span_event`'s path: SpanEvent."""

from scorelens.entities.span import SpanEvent

__all__ = ["SpanEvent"]
