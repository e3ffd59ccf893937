"""`mlflow.entities.trace_info`'s path: TraceInfo."""

from scorelens.entities.trace import TraceInfo

__all__ = ["TraceInfo"]
