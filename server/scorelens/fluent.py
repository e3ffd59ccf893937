"""MLflow's module-level tracing and assessment functions: `scorelens.log_feedback` and friends.

Same names, signatures and defaults as `mlflow.log_feedback`, `mlflow.log_expectation`,
`mlflow.log_assessment`, `mlflow.get_assessment`, `mlflow.update_assessment`,
`mlflow.delete_assessment`, `mlflow.override_feedback`, `mlflow.get_last_active_trace_id`,
`mlflow.get_current_active_span`, `mlflow.update_current_trace`, `mlflow.set_active_model` and
`mlflow.get_active_model_id`, `mlflow.clear_active_model`.

Assessments go to the store's `assessments/<group>.json`, next to the trace's group, so
`search_traces` and `trace.info.assessments` show them; each logged one is kept (several per
trace and name, as in MLflow), while re-scoring keeps one per scorer.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from scorelens import tracking
from scorelens.entities import (
    Assessment,
    AssessmentError,
    AssessmentSource,
    Expectation,
    Feedback,
    TraceState,
)
from scorelens.entities.assessment import DEFAULT_FEEDBACK_NAME
from scorelens.store import TraceStore
from scorelens.tracing.constant import TraceMetadataKey
from scorelens.tracing.context import (
    LiveSpan,
    active_model_id,
    builder_of,
    current_span,
    last_trace_id,
    set_active_model_id,
)
from scorelens.tracing.export import exporter

_logger = logging.getLogger(__name__)


# -- the active trace --------------------------------------------------------------------------


def get_last_active_trace_id(thread_local: bool = False) -> str | None:
    """The id of the trace that most recently finished in this process (or this thread)."""
    return last_trace_id(thread_local)


def get_current_active_span() -> LiveSpan | None:
    """The span being recorded here and now (`@trace` function, `start_span` block), or None."""
    return current_span()


def get_active_trace_id() -> str | None:
    """The id of the trace being recorded here and now, or None."""
    span = current_span()
    return None if span is None else span.trace_id


def update_current_trace(
    tags: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
    client_request_id: str | None = None,
    request_preview: str | None = None,
    response_preview: str | None = None,
    state: TraceState | str | None = None,
    model_id: str | None = None,
    session_id: str | None = None,
    user: str | None = None,
) -> None:
    """Add tags and metadata (and the rest) to the trace being recorded; kept when it ends.

    Outside a trace it only warns, as MLflow does. Values are kept as strings.
    """
    span = current_span()
    if span is None:
        _logger.warning(
            "No active trace found. Please create a span using `mlflow.start_span` or "
            "`@mlflow.trace` before calling `mlflow.update_current_trace`."
        )
        return
    if request_preview is not None and not isinstance(request_preview, str):
        raise ValueError("The `request_preview` parameter must be a string.")
    if response_preview is not None and not isinstance(response_preview, str):
        raise ValueError("The `response_preview` parameter must be a string.")
    if state is not None and state not in (TraceState.OK, TraceState.ERROR):
        raise ValueError(f"State must be either 'OK' or 'ERROR', but got '{state}'.")
    all_metadata = dict(metadata) if metadata else {}
    if session_id is not None:
        all_metadata[TraceMetadataKey.TRACE_SESSION] = session_id
    if user is not None:
        all_metadata[TraceMetadataKey.TRACE_USER] = user
    if model_id:
        all_metadata[TraceMetadataKey.MODEL_ID] = model_id
    builder = builder_of(span)
    with builder.lock:
        builder.tags.update({str(k): str(v) for k, v in (tags or {}).items()})
        builder.metadata.update({str(k): str(v) for k, v in all_metadata.items()})
        if client_request_id is not None:
            builder.client_request_id = str(client_request_id)
        if request_preview:
            builder.request_preview = request_preview
        if response_preview:
            builder.response_preview = response_preview
        if state is not None:
            builder.state = TraceState(str(state))


# -- assessments -------------------------------------------------------------------------------


def log_assessment(trace_id: str, assessment: Assessment) -> Assessment:
    """Attach a Feedback or Expectation to a trace; returns it with its `assessment_id`.

    On the trace being recorded, it is kept with the trace and stored when the trace is.
    """
    assessment.trace_id = trace_id
    span = current_span()
    if span is not None and span.trace_id == trace_id:
        builder = builder_of(span)
        with builder.lock:
            builder.assessments.append(assessment)
        return assessment
    store, group = _locate(trace_id)
    store.save_assessments(group, {trace_id: [assessment]}, replace=False)
    return assessment


def log_feedback(
    *,
    trace_id: str,
    name: str = DEFAULT_FEEDBACK_NAME,
    value: Any = None,
    source: AssessmentSource | None = None,
    error: Exception | AssessmentError | None = None,
    rationale: str | None = None,
    metadata: dict[str, Any] | None = None,
    span_id: str | None = None,
) -> Assessment:
    """Log a Feedback (a value, or an error) on a trace; the source defaults to CODE."""
    feedback = Feedback(
        name=name,
        source=source,
        error=error,
        value=value,
        rationale=rationale,
        metadata=metadata,
        span_id=span_id,
    )
    return log_assessment(trace_id, feedback)


def log_expectation(
    *,
    trace_id: str,
    name: str,
    value: Any,
    source: AssessmentSource | None = None,
    metadata: dict[str, Any] | None = None,
    span_id: str | None = None,
) -> Assessment:
    """Log an Expectation (ground truth) on a trace; the source defaults to HUMAN."""
    expectation = Expectation(
        name=name, source=source, value=value, metadata=metadata, span_id=span_id
    )
    return log_assessment(trace_id, expectation)


def get_assessment(trace_id: str, assessment_id: str) -> Assessment:
    store, group = _locate(trace_id)
    for assessment in store.load_assessments(group).get(trace_id, []):
        if assessment.assessment_id == assessment_id:
            return assessment
    raise ValueError(f"Assessment with ID '{assessment_id}' not found for trace '{trace_id}'.")


def update_assessment(trace_id: str, assessment_id: str, assessment: Assessment) -> Assessment:
    """Replace the value (and given fields) of a logged assessment, keeping its id and kind."""
    old = get_assessment(trace_id, assessment_id)
    if type(old) is not type(assessment):
        raise ValueError(
            f"Cannot update a {type(old).__name__} with a {type(assessment).__name__}."
        )
    assessment.trace_id = trace_id
    assessment.assessment_id = assessment_id
    assessment.create_time_ms = old.create_time_ms
    store, group = _locate(trace_id)
    store.update_assessment(group, assessment)
    return assessment


def delete_assessment(trace_id: str, assessment_id: str) -> None:
    store, group = _locate(trace_id)
    store.delete_assessment(group, trace_id, assessment_id)


def override_feedback(
    *,
    trace_id: str,
    assessment_id: str,
    value: Any,
    rationale: str | None = None,
    source: AssessmentSource | None = None,
    metadata: dict[str, Any] | None = None,
) -> Assessment:
    """Log a new Feedback that replaces an earlier one, which stays stored but is not valid."""
    old = get_assessment(trace_id, assessment_id)
    if not isinstance(old, Feedback):
        raise ValueError(f"The assessment with ID {assessment_id} is not a feedback assessment.")
    new = Feedback(
        name=old.name,
        span_id=old.span_id,
        value=value,
        rationale=rationale,
        source=source,
        metadata=metadata,
        overrides=old.assessment_id,
    )
    logged = log_assessment(trace_id, new)
    old.valid = False
    store, group = _locate(trace_id)
    store.update_assessment(group, old)
    return logged


def _locate(trace_id: str) -> tuple[TraceStore, str]:
    # Traces this process recorded may still wait in the exporter's batch.
    exporter.flush()
    store = tracking.get_store()
    group = store.group_of_trace(trace_id)
    if group is None:
        raise ValueError(f"Trace with ID '{trace_id}' not found in the store at {store.root}.")
    return store, group


# -- the active model --------------------------------------------------------------------------


class ActiveModel:
    """The model new traces are linked to (metadata `mlflow.modelId`); a context manager too."""

    def __init__(self, model_id: str, name: str, experiment_id: str) -> None:
        self.model_id = model_id
        self.name = name
        self.experiment_id = experiment_id
        self.last_active_model_id = active_model_id()
        set_active_model_id(model_id)

    def __repr__(self) -> str:
        return f"ActiveModel(model_id={self.model_id!r}, name={self.name!r})"

    def __enter__(self) -> ActiveModel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        set_active_model_id(self.last_active_model_id)


def set_active_model(*, name: str | None = None, model_id: str | None = None) -> ActiveModel:
    """Link traces recorded from now on to a model, found or created by name, or by id."""
    if name is None and model_id is None:
        raise ValueError("Either name or model_id must be provided")
    store = tracking.get_store()
    if model_id is not None:
        model = store.get_logged_model(model_id)
        if model is None:
            raise ValueError(f"Logged model with ID '{model_id}' not found in {store.root}.")
        if name is not None and model["name"] != name:
            raise ValueError(
                f"LoggedModel with model_id {model_id!r} has name {model['name']!r}, which does"
                f" not match the provided name {name!r}."
            )
    else:
        assert name is not None
        model = store.get_or_create_logged_model(tracking.current_experiment_id(), name)
    return ActiveModel(str(model["model_id"]), str(model["name"]), str(model["experiment_id"]))


def get_active_model_id() -> str | None:
    return active_model_id()


def clear_active_model() -> None:
    """Stop linking new traces to a model (MLflow's `clear_active_model`)."""
    set_active_model_id(None)


__all__ = [
    "ActiveModel",
    "clear_active_model",
    "delete_assessment",
    "get_active_model_id",
    "get_active_trace_id",
    "get_assessment",
    "get_current_active_span",
    "get_last_active_trace_id",
    "log_assessment",
    "log_expectation",
    "log_feedback",
    "override_feedback",
    "set_active_model",
    "update_assessment",
    "update_current_trace",
]
