"""`mlflow.entities.trace_state`'s path: TraceState."""

from scorelens.entities.trace import TraceState

__all__ = ["TraceState"]
