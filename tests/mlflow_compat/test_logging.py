"""Module-level tracing and assessment functions, as MLflow's documentation calls them.

Sources:
  https://docs.databricks.com/aws/en/mlflow3/genai/tracing/concepts/log-assessment
    ("Logging assessments", Example 1 of log_feedback, with its my_app and trace id lookup)
  https://mlflow.org/docs/latest/genai/tracing/collect-user-feedback
    ("Adding Feedback with API": log_feedback with a HUMAN source)
  mlflow/tracing/fluent.py (MLflow 3.17.2 site-packages): update_current_trace docstring
    examples; get_last_active_trace_id docstring example (up to get_trace)
  mlflow/tracking/fluent.py: set_active_model docstring example, without the
    create_external_model lines (ScoreLens has no model registry); clear_active_model
  mlflow/tracing/assessment.py: log_assessment, log_expectation, get_assessment,
    delete_assessment, override_feedback
Expected values were checked by running the same code on MLflow 3.17.2 with a local store.
"""

# MLflow's examples use get_trace's and get_last_active_trace_id's results unchecked (both
# may be None) and define untyped functions; its code is kept as written.
# mypy: disable-error-code="union-attr, arg-type, no-untyped-def, no-untyped-call"
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import scorelens as mlflow
from scorelens.entities import AssessmentSource, AssessmentSourceType, Expectation, Feedback
from scorelens.genai.scorers import scorer


@pytest.fixture(autouse=True)
def no_active_model_after() -> Iterator[None]:
    # The active model is process-wide, as in MLflow: leave none behind for other tests.
    yield
    mlflow.clear_active_model()


def test_log_feedback_examples(store_dir: Path) -> None:
    @mlflow.trace
    def my_app(input: str) -> str:
        return input + "_output"

    # Create a sample trace to demonstrate assessment logging
    my_app(input="hello")

    trace_id = mlflow.get_last_active_trace_id()

    # Handle case where trace_id might be None
    if trace_id is None:
        raise ValueError("No active trace found. Make sure to run a traced function first.")

    print(f"Using trace_id: {trace_id}")

    # Example 1: Human rating (integer scale)
    # Use case: Domain experts rating response quality on a 1-5 scale
    mlflow.log_feedback(
        trace_id=trace_id,
        name="human_rating",
        value=4,  # int - rating scale feedback
        rationale="Human evaluator rating",
        source=AssessmentSource(
            source_type=AssessmentSourceType.HUMAN,
            source_id="evaluator@company.com",
        ),
    )

    # "Collect User Feedback", trace id as above
    mlflow.log_feedback(
        trace_id=trace_id,
        name="user_satisfaction",
        value=True,
        rationale="User indicated response was helpful",
        source=AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="user_123"),
    )

    trace = mlflow.get_trace(trace_id)
    logged = [
        (a.name, a.value, a.rationale, a.source.source_type, a.source.source_id, a.trace_id)
        for a in trace.info.assessments
    ]
    assert logged == [
        ("human_rating", 4, "Human evaluator rating", "HUMAN", "evaluator@company.com", trace_id),
        (
            "user_satisfaction",
            True,
            "User indicated response was helpful",
            "HUMAN",
            "user_123",
            trace_id,
        ),
    ]
    assert all(a.assessment_id.startswith("a-") for a in trace.info.assessments)
    # search_traces lists them in MLflow's dictionary form.
    frame = mlflow.search_traces()
    row = frame[frame.trace_id == trace_id].iloc[0]
    assert [(a["assessment_name"], a["feedback"]) for a in row["assessments"]] == [
        ("human_rating", {"value": 4.0}),
        ("user_satisfaction", {"value": True}),
    ]


def test_log_assessment_expectation_get_and_delete(store_dir: Path) -> None:
    @mlflow.trace
    def my_app(input: str) -> str:
        return input + "_output"

    my_app(input="hello")
    trace_id = mlflow.get_last_active_trace_id()

    # mlflow/tracing/assessment.py, log_assessment docstring (its trace id "1234" is this trace)
    feedback = Feedback(
        name="faithfulness",
        value=0.9,
        rationale="The model is faithful to the input.",
        metadata={"model": "gpt-4o-mini"},
    )
    logged = mlflow.log_assessment(trace_id=trace_id, assessment=feedback)
    assert logged.assessment_id is not None and logged.trace_id == trace_id

    source = AssessmentSource(
        source_type=AssessmentSourceType.HUMAN,
        source_id="john@example.com",
    )
    expectation = Expectation(
        name="expected_answer",
        value=42,
        source=source,
    )
    mlflow.log_assessment(trace_id=trace_id, assessment=expectation)

    plain = mlflow.log_expectation(
        trace_id=trace_id, name="expected_response", value="hello_output"
    )
    assert type(plain).__name__ == "Expectation"
    assert plain.source == AssessmentSource(source_type="HUMAN", source_id="default")
    assert mlflow.get_assessment(trace_id, plain.assessment_id).value == "hello_output"

    mlflow.delete_assessment(trace_id, plain.assessment_id)
    names = [a.name for a in mlflow.get_trace(trace_id).info.assessments]
    assert names == ["faithfulness", "expected_answer"]
    with pytest.raises(ValueError, match="not found"):
        mlflow.log_feedback(trace_id="tr-" + "0" * 32, name="x", value=1)


def test_feedback_logged_inside_the_trace_is_stored_with_it(store_dir: Path) -> None:
    @mlflow.trace
    def inner() -> int:
        tid = mlflow.get_current_active_span().trace_id
        mlflow.log_feedback(trace_id=tid, name="inline", value=1)
        return 1

    inner()
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert [(a.name, a.value) for a in trace.info.assessments] == [("inline", 1)]
    assert mlflow.get_current_active_span() is None


def test_get_current_active_span_and_last_active_trace(store_dir: Path) -> None:
    @mlflow.trace
    def g() -> str:
        s = mlflow.get_current_active_span()
        s.set_attribute("k", "v")
        return s.name

    assert g() == "g"
    # mlflow/tracing/fluent.py, get_last_active_trace_id docstring
    trace_id = mlflow.get_last_active_trace_id()
    trace = mlflow.get_trace(trace_id)
    assert trace.data.spans[0].attributes["k"] == "v"
    assert mlflow.get_last_active_trace_id(thread_local=True) == trace_id


def test_update_current_trace_docstring_examples(
    store_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    @mlflow.trace
    def my_func(x):
        mlflow.update_current_trace(tags={"fruit": "apple"}, client_request_id="req-12345")
        return x + 1

    my_func(1)
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert trace.info.tags == {"mlflow.traceName": "my_func", "fruit": "apple"}
    assert trace.info.client_request_id == "req-12345"

    with mlflow.start_span("span"):
        mlflow.update_current_trace(tags={"fruit": "apple"}, client_request_id="req-12345")
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert trace.info.tags["fruit"] == "apple" and trace.info.client_request_id == "req-12345"

    with mlflow.start_span("span2"):
        mlflow.update_current_trace(
            session_id="session-4f855da00427",
            user="user-id-cc156f29bcfb",
            metadata={
                "mlflow.source.name": "inference.py",
                "mlflow.source.git.commit": "1234567890",
                "mlflow.source.git.repoURL": "https://github.com/mlflow/mlflow",
            },
        )
    metadata = mlflow.get_trace(mlflow.get_last_active_trace_id()).info.trace_metadata
    assert {k: v for k, v in metadata.items() if not k.startswith("mlflow.trace.token")} == {
        "mlflow.source.git.commit": "1234567890",
        "mlflow.source.git.repoURL": "https://github.com/mlflow/mlflow",
        "mlflow.source.name": "inference.py",
        "mlflow.trace.user": "user-id-cc156f29bcfb",
        "mlflow.trace.session": "session-4f855da00427",
    }
    # Outside a trace MLflow only warns.
    with caplog.at_level(logging.WARNING):
        mlflow.update_current_trace(tags={"x": "y"})
    assert "No active trace found" in caplog.text
    # The search helper's filter reads what update_current_trace wrote.
    found = mlflow.search_traces(filter_string="tags.fruit = 'apple'", return_type="list")
    assert len(found) == 2


def test_set_active_model_docstring_example(store_dir: Path) -> None:
    # Set the active model by name
    mlflow.set_active_model(name="my_model")

    # Use the active model in a context manager
    with mlflow.set_active_model(name="new_model"):
        print(mlflow.get_active_model_id())
        inside = mlflow.get_active_model_id()

    # Traces are automatically linked to the active model
    mlflow.set_active_model(name="my_model")

    @mlflow.trace
    def predict(model_input):
        return model_input

    predict("abc")
    traces = mlflow.search_traces(
        model_id=mlflow.get_active_model_id(), return_type="list", flush=True
    )
    assert len(traces) == 1

    model_id = mlflow.get_active_model_id()
    assert model_id is not None and model_id.startswith("m-") and inside != model_id
    assert traces[0].info.trace_metadata["mlflow.modelId"] == model_id
    assert mlflow.set_active_model(name="my_model").model_id == model_id
    with pytest.raises(ValueError):
        mlflow.set_active_model(model_id="m-unknown")

    # mlflow/tracking/fluent.py, clear_active_model docstring
    # Clear the active model
    mlflow.clear_active_model()
    # Check that the active model is None
    assert mlflow.get_active_model_id() is None
    predict("abc")
    assert (
        "mlflow.modelId"
        not in mlflow.get_trace(mlflow.get_last_active_trace_id()).info.trace_metadata
    )


def test_human_feedback_coexists_with_a_scorer_of_the_same_name(store_dir: Path) -> None:
    @mlflow.trace
    def app(question: str) -> str:
        return "Paris"

    generated = mlflow.genai.evaluate(
        data=[{"inputs": {"question": "capital?"}}], scorers=[], predict_fn=app
    )
    traces = mlflow.search_traces(run_id=generated.run_id)

    @scorer
    def correct(outputs: str) -> bool:
        return outputs == "Paris"

    mlflow.genai.evaluate(data=traces, scorers=[correct])
    trace_id = traces["trace_id"][0]
    mlflow.log_feedback(
        trace_id=trace_id,
        name="correct",
        value=False,
        source=AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="reviewer"),
    )
    # Re-scoring replaces the scorer's own feedback and leaves the human's.
    mlflow.genai.evaluate(data=mlflow.search_traces(run_id=generated.run_id), scorers=[correct])
    found = mlflow.get_trace(trace_id).search_assessments("correct")
    assert sorted((a.source.source_type, a.value) for a in found) == [
        ("CODE", True),
        ("HUMAN", False),
    ]


def test_a_store_written_before_assessment_ids_still_loads(store_dir: Path) -> None:
    # ScoreLens 0.1 kept the newest Feedback per (trace, name), without ids or sources.
    @mlflow.trace
    def app(question: str) -> str:
        return "Paris"

    app("capital?")
    trace_id = mlflow.get_last_active_trace_id()
    mlflow.flush_traces()
    legacy = {
        "assessments": {
            "1": {
                "trace_id": trace_id,
                "feedback": {
                    "length": {
                        "name": "length",
                        "value": 5,
                        "rationale": None,
                        "metadata": None,
                        "error": None,
                        "stack_trace": None,
                        "source": {},
                    },
                    "judge": {
                        "name": "judge",
                        "value": None,
                        "rationale": None,
                        "metadata": None,
                        "error": "ZeroDivisionError: division by zero",
                        "stack_trace": "Traceback ...",
                        "source": {"error_kind": "exception"},
                    },
                },
            }
        }
    }
    folder = store_dir / "assessments"
    folder.mkdir()
    (folder / "exp-0.json").write_text(json.dumps(legacy))
    trace = mlflow.get_trace(trace_id)
    by_name = {a.name: a for a in trace.info.assessments}
    assert by_name["length"].value == 5
    judge = by_name["judge"]
    assert (judge.error.error_code, judge.error.error_message) == (
        "ZeroDivisionError",
        "division by zero",
    )
    first_ids = [a.assessment_id for a in trace.info.assessments]
    assert first_ids == [a.assessment_id for a in mlflow.get_trace(trace_id).info.assessments]
    # A new assessment is added next to them, converting the file.
    mlflow.log_feedback(trace_id=trace_id, name="human", value=True)
    names = sorted(a.name for a in mlflow.get_trace(trace_id).info.assessments)
    assert names == ["human", "judge", "length"]
