"""The server's handlers, one feature per module; importing this package registers them all."""

from scorelens.lsp.features import (
    code_lens,
    documents,
    hover,
    labels,
    lifecycle,
    mlflow_pull,
    results,
    trace_sets,
)

__all__ = [
    "code_lens",
    "documents",
    "hover",
    "labels",
    "lifecycle",
    "mlflow_pull",
    "results",
    "trace_sets",
]
