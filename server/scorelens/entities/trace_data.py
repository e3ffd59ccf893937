"""`mlflow.entities.trace_data`'s path: TraceData."""

from scorelens.entities.trace import TraceData

__all__ = ["TraceData"]
