"""MLflow's entity classes and their module paths, as MLflow's own docstrings use them.

Sources (MLflow 3.17.2, site-packages/mlflow/...):
  entities/assessment.py         Feedback and Expectation docstring examples; Feedback.__init__
  entities/assessment_source.py  AssessmentSource and AssessmentSourceType docstring examples
  entities/assessment_error.py   AssessmentError docstring example
  entities/span_status.py        SpanStatus
  entities/document.py           Document
Expected values were checked by running the same code on MLflow 3.17.2.
"""

# MLflow's examples pass the plain strings its dataclasses accept at run time.
# mypy: disable-error-code="arg-type"
from __future__ import annotations

import importlib
import warnings

import pytest

import scorelens as mlflow
from scorelens.entities import (
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Document,
    Expectation,
    Feedback,
    SpanStatus,
    SpanStatusCode,
)

MODULE_PATHS = {
    "assessment": ["Assessment", "Feedback", "Expectation", "AssessmentSource"],
    "assessment_source": ["AssessmentSource", "AssessmentSourceType"],
    "assessment_error": ["AssessmentError"],
    "span": ["Span", "SpanType"],
    "span_status": ["SpanStatus", "SpanStatusCode"],
    "trace": ["Trace"],
    "trace_info": ["TraceInfo"],
    "trace_data": ["TraceData"],
    "trace_state": ["TraceState"],
    "document": ["Document"],
}


@pytest.mark.parametrize("module", sorted(MODULE_PATHS))
def test_each_name_is_the_same_class_from_the_package_and_its_module(module: str) -> None:
    loaded = importlib.import_module(f"scorelens.entities.{module}")
    for name in MODULE_PATHS[module]:
        assert getattr(loaded, name) is getattr(mlflow.entities, name), (module, name)


def test_tracing_constant_keys_are_mlflows() -> None:
    from scorelens.tracing.constant import SpanAttributeKey, TokenUsageKey, TraceMetadataKey

    assert TraceMetadataKey.TOKEN_USAGE == "mlflow.trace.tokenUsage"
    assert TraceMetadataKey.SOURCE_RUN == "mlflow.sourceRun"
    assert SpanAttributeKey.CHAT_USAGE == "mlflow.chat.tokenUsage"
    assert SpanAttributeKey.INPUTS == "mlflow.spanInputs"
    assert TokenUsageKey.INPUT_TOKENS == "input_tokens"
    assert TokenUsageKey.TOTAL_TOKENS == "total_tokens"


def test_feedback_docstring_example() -> None:
    # mlflow/entities/assessment.py, class Feedback, "Example:"
    feedback = Feedback(
        name="correctness",
        value=True,
        rationale="The response is correct.",
        source=AssessmentSource(
            source_type="HUMAN",
            source_id="john@example.com",
        ),
        metadata={"project": "my-project"},
    )

    assert feedback.name == "correctness"
    assert feedback.value is True
    assert feedback.rationale == "The response is correct."
    assert feedback.source == AssessmentSource(source_type="HUMAN", source_id="john@example.com")
    assert feedback.metadata == {"project": "my-project"}
    assert feedback.error is None
    assert feedback.trace_id is None
    assert feedback.assessment_id is None
    assert feedback.valid is True
    assert isinstance(feedback.create_time_ms, int)


def test_expectation_docstring_example() -> None:
    # mlflow/entities/assessment.py, class Expectation, "Example:"
    expectation = Expectation(
        name="expected_response",
        value="The capital of France is Paris.",
        source=AssessmentSource(
            source_type=AssessmentSourceType.HUMAN,
            source_id="john@example.com",
        ),
        metadata={"project": "my-project"},
    )

    assert expectation.name == "expected_response"
    assert expectation.value == "The capital of France is Paris."
    assert expectation.source.source_type == "HUMAN"
    assert expectation.source.source_id == "john@example.com"


def test_defaults_name_and_source() -> None:
    # Feedback.__init__: name defaults to "feedback", source to CODE; Expectation's to HUMAN.
    assert Feedback().name == "feedback"
    assert Feedback().source == AssessmentSource(source_type="CODE", source_id="default")
    assert Expectation(name="x", value=1).source == AssessmentSource(
        source_type="HUMAN", source_id="default"
    )
    with pytest.raises(ValueError, match=r"The `value` field must be specified\."):
        Expectation(name="x", value=None)


def test_feedback_error_from_an_exception_a_string_or_an_assessment_error() -> None:
    # Feedback.__init__: "Accepts an exception object, or an AssessmentError object", and text.
    timeout = Feedback(error=TimeoutError("the judge timed out"))
    assert timeout.error == AssessmentError(
        error_code="TimeoutError",
        error_message="the judge timed out",
        stack_trace="TimeoutError('the judge timed out')TimeoutError: the judge timed out",
    )
    assert timeout.value is None

    text = Feedback(error="oops")
    assert (text.error_code, text.error_message) == ("ASSESSMENT_ERROR", "oops")
    assert text.error == AssessmentError(error_code="ASSESSMENT_ERROR", error_message="oops")

    # mlflow/entities/assessment_error.py, class AssessmentError docstring
    error = AssessmentError(
        error_code="RATE_LIMIT_EXCEEDED",
        error_message="Rate limit for the judge exceeded.",
        stack_trace="...",
    )
    assert Feedback(name="faithfulness", error=error).error is error
    assert error.to_dictionary() == {
        "error_code": "RATE_LIMIT_EXCEEDED",
        "error_message": "Rate limit for the judge exceeded.",
        "stack_trace": "...",
    }
    with pytest.raises(TypeError):
        Feedback(error=42)


def test_a_raised_exception_keeps_its_traceback() -> None:
    empty: dict[str, str] = {}
    try:
        empty["answer"]
    except KeyError as exc:
        feedback = Feedback(name="judge", error=exc)
    assert feedback.error is not None
    assert feedback.error.error_code == "KeyError"
    assert feedback.error.stack_trace is not None
    assert "test_a_raised_exception_keeps_its_traceback" in feedback.error.stack_trace


def test_assessment_source_types_are_standardised() -> None:
    # mlflow/entities/assessment_source.py, AssessmentSource and AssessmentSourceType docstrings
    source = AssessmentSource(
        source_type=AssessmentSourceType.LLM_JUDGE,  # or "LLM_JUDGE"
        source_id="gpt-4o-mini",
    )
    assert source.source_type == "LLM_JUDGE"
    # String input - case insensitive
    source = AssessmentSource(
        source_type="llm_judge",  # Will be standardized to "LLM_JUDGE"
        source_id="gpt-4",
    )
    assert source.source_type == "LLM_JUDGE"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Deprecated value - triggers warning
        source = AssessmentSource(
            source_type="AI_JUDGE",  # Warning: converts to "LLM_JUDGE"
            source_id="gpt-4",
        )
    assert source.source_type == "LLM_JUDGE"
    assert [w.category for w in caught] == [FutureWarning]
    assert AssessmentSource(source_type="CODE").source_id == "default"
    with pytest.raises(ValueError, match="Invalid assessment source type: ROBOT"):
        AssessmentSource(source_type="ROBOT")


def test_to_dictionary_is_mlflows_form() -> None:
    # Assessment.to_dictionary(): MLflow's protobuf JSON, as its search_traces lists them.
    feedback = Feedback(
        name="n", value=[1, 2], create_time_ms=1700000000123, last_update_time_ms=1700000000123
    )
    assert feedback.to_dictionary() == {
        "assessment_name": "n",
        "trace_id": "",
        "source": {"source_type": "CODE", "source_id": "default"},
        "create_time": "2023-11-14T22:13:20.123Z",
        "last_update_time": "2023-11-14T22:13:20.123Z",
        "feedback": {"value": [1.0, 2.0]},
        "valid": True,
    }
    structured = Expectation(
        name="n", value={"a": [1]}, create_time_ms=1700000000123, last_update_time_ms=1700000000123
    )
    assert structured.to_dictionary()["expectation"] == {
        "serialized_value": {"serialization_format": "JSON_FORMAT", "value": '{"a": [1]}'}
    }
    assert "valid" not in structured.to_dictionary()
    again = Feedback.from_dictionary(
        Feedback(
            name="n", value=3, create_time_ms=1700000000123, last_update_time_ms=1700000000456
        ).to_dictionary()
    )
    assert (again.value, again.create_time_ms, again.last_update_time_ms) == (
        3.0,
        1700000000123,
        1700000000456,
    )
    assert mlflow.entities.Assessment.from_dictionary(structured.to_dictionary()) == structured


def test_span_status_and_document() -> None:
    # mlflow/entities/span_status.py: a string code is validated and converted.
    assert SpanStatus("OK").status_code is SpanStatusCode.OK
    failed = SpanStatus(SpanStatusCode.ERROR, "boom")
    assert (failed.status_code, failed.description) == ("ERROR", "boom")
    with pytest.raises(ValueError, match="not a valid SpanStatusCode"):
        SpanStatus("MAYBE")
    # mlflow/entities/document.py
    document = Document(page_content="MLflow is ...", metadata={"doc_uri": "https://mlflow.org"})
    assert document.to_dict() == {
        "page_content": "MLflow is ...",
        "metadata": {"doc_uri": "https://mlflow.org"},
        "id": None,
    }
