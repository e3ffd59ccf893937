"""ScoreLens: trace an LLM app once, then re-score its stored traces in a fraction of a second.

Names mirror MLflow's, so `import scorelens as mlflow` ports existing code.
"""

# First of all: started as the language server or its worker, drop the workspace from sys.path
# before any of the imports below could load a workspace module of the same name.
from scorelens import _service_path  # noqa: F401  # isort: skip
from scorelens import entities, genai, openai
from scorelens.autologging import autolog
from scorelens.client import MlflowClient
from scorelens.entities import SpanType
from scorelens.fluent import (
    ActiveModel,
    clear_active_model,
    delete_assessment,
    get_active_model_id,
    get_active_trace_id,
    get_assessment,
    get_current_active_span,
    get_last_active_trace_id,
    log_assessment,
    log_expectation,
    log_feedback,
    override_feedback,
    set_active_model,
    update_assessment,
    update_current_trace,
)
from scorelens.search import get_trace, search_traces
from scorelens.tracing import start_span, trace
from scorelens.tracing.context import TraceDestination, set_default_destination
from scorelens.tracing.export import exporter
from scorelens.tracking import (
    get_tracking_uri,
    set_experiment,
    set_tracking_uri,
)

__version__ = "0.1.0"


def _default_destination() -> TraceDestination:
    from scorelens import tracking

    store = tracking.get_store()
    return TraceDestination(
        sink=lambda finished: exporter.export(store, finished),
        experiment_id=tracking.current_experiment_id(),
    )


def flush_traces() -> None:
    """Write traces recorded outside `evaluate` now instead of within the next second."""
    exporter.flush()


set_default_destination(_default_destination)

__all__ = [
    "ActiveModel",
    "MlflowClient",
    "SpanType",
    "autolog",
    "clear_active_model",
    "delete_assessment",
    "entities",
    "flush_traces",
    "genai",
    "get_active_model_id",
    "get_active_trace_id",
    "get_assessment",
    "get_current_active_span",
    "get_last_active_trace_id",
    "get_trace",
    "get_tracking_uri",
    "log_assessment",
    "log_expectation",
    "log_feedback",
    "openai",
    "override_feedback",
    "search_traces",
    "set_active_model",
    "set_experiment",
    "set_tracking_uri",
    "start_span",
    "trace",
    "update_assessment",
    "update_current_trace",
]
