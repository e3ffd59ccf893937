"""`mlflow.genai.evaluate` with custom scorers: results, result_df, traces, errors, model ids.

Sources:
  MLflow docs, "Create custom code-based scorers"
    (docs/docs/genai/eval-monitor/scorers/custom/index.mdx in mlflow/mlflow): the opening
    example (exact_match, is_short) and "Handle exceptions explicitly" (is_valid_response)
  mlflow/mlflow tests/genai/evaluate/test_evaluation.py: the exact_match, is_concise,
    relevance and has_trace scorers, TestModel, test_evaluate_with_static_dataset,
    test_evaluate_with_predict_fn, test_evaluate_with_scorer_tracing (scorer tracing off,
    MLflow's default), test_missing_scorers_argument, test_empty_scorers_allowed
  mlflow/genai/evaluation/base.py and scorers/validation.py (MLflow 3.17.2): the messages
    for `scorers` that are not a list of scorers
  mlflow/genai/scorers/base.py (MLflow 3.17.2): the harmfulness example in scorer's docstring
    (a scorer calling an LLM through the OpenAI client)
  mlflow/genai/utils/trace_utils.py (MLflow 3.17.2): construct_eval_result_df and
    create_minimal_trace, whose result_df columns and "root_span" these tests expect
Expected values were checked by running the same code on MLflow 3.17.2 with a local store.
"""

# MLflow's examples define untyped functions, use values that may be None unchecked, and
# annotate `outputs: dict` where it is text; they are kept as written.
# mypy: disable-error-code="no-untyped-def, no-untyped-call, union-attr, index, type-arg"
# mypy: disable-error-code="no-any-return, attr-defined"
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import openai
import pandas as pd
import pytest

import scorelens as mlflow
from scorelens.entities import AssessmentError, Feedback, Trace
from scorelens.entities.assessment_source import AssessmentSource, AssessmentSourceType
from scorelens.entities.span import SpanType
from scorelens.genai import scorer
from scorelens.tracing.constant import AssessmentMetadataKey, TraceMetadataKey
from tests.mlflow_compat.test_search_traces import MLFLOW_COLUMNS

# MLflow's search_traces columns, which result_df has after trace_id and the assessments.
TRACE_COLUMNS = MLFLOW_COLUMNS[1:]


def all_traces() -> list[Trace]:
    """Every trace of the current experiment (MLflow's tests.tracing.helper.get_traces)."""
    return mlflow.search_traces(return_type="list")


# -- the opening example of "Create custom code-based scorers" ---------------------------------


@scorer
def exact_match(outputs: dict, expectations: dict) -> bool:
    return outputs == expectations["expected_response"]


@scorer
def is_short(outputs: dict) -> Feedback:
    score = len(outputs.split()) <= 5
    rationale = (
        "The response is short enough."
        if score
        else f"The response is not short enough because it has ({len(outputs.split())} words)."
    )
    return Feedback(value=score, rationale=rationale)


eval_dataset = [
    {
        "inputs": {"question": "How many countries are there in the world?"},
        "outputs": "195",
        "expectations": {"expected_response": "195"},
    },
    {
        "inputs": {"question": "What is the capital of France?"},
        "outputs": "The capital of France is Paris.",
        "expectations": {"expected_response": "Paris"},
    },
]


def test_the_opening_example_scores_and_lays_out_result_df(store_dir: Path) -> None:
    result = mlflow.genai.evaluate(
        data=eval_dataset,
        scorers=[exact_match, is_short],
    )
    assert result.metrics == {"exact_match/mean": 0.5, "is_short/mean": 0.5}
    df = result.result_df
    # trace_id, each Feedback's and expectation's columns (in MLflow, in whatever order its
    # threads finished), then search_traces' columns.
    assert df.columns[0] == "trace_id"
    assert set(df.columns[1:5]) == {
        "exact_match/value",
        "is_short/value",
        "is_short/rationale",
        "expected_response/value",
    }
    assert list(df.columns[5:16]) == TRACE_COLUMNS
    # ScoreLens's search_traces has columns of its own after MLflow's; result_df has them too.
    searched = mlflow.search_traces(run_id=result.run_id)
    assert set(df.columns[16:]) == set(searched.columns) - {"trace_id", *TRACE_COLUMNS}
    assert list(df["exact_match/value"]) == [True, False]
    assert list(df["is_short/rationale"]) == [
        "The response is short enough.",
        "The response is not short enough because it has (6 words).",
    ]
    assert list(df["expected_response/value"]) == ["195", "Paris"]
    assert list(df["state"]) == ["OK", "OK"]
    assert [Trace.from_json(t).info.trace_id for t in df["trace"]] == list(df["trace_id"])


# -- result_df: numbers as floats, NaN where nothing was given, MLflow's error column ----------


def test_result_df_cells_read_as_mlflow_reads_them_back(store_dir: Path) -> None:
    @scorer
    def num(outputs):
        return len(outputs)

    @scorer
    def boom(outputs):
        if outputs == "cherry":
            raise ValueError("bad")
        return 1

    @scorer
    def multi(outputs):
        return [Feedback(name="a", value=1), Feedback(name="b", value=True, rationale="r")]

    @scorer
    def nonevalue(outputs):
        return None

    data = [
        {"inputs": {"q": "x"}, "outputs": "apple"},
        {"inputs": {"q": "y"}, "outputs": "banana"},
        {"inputs": {"q": "z"}, "outputs": "cherry"},
    ]
    result = mlflow.genai.evaluate(data=data, scorers=[num, boom, multi, nonevalue])
    df = result.result_df
    # No columns for a scorer returning None, nor for one returning only named Feedback.
    assert {c for c in df.columns if "/" in c} == {
        "num/value",
        "boom/value",
        "a/value",
        "b/value",
        "b/rationale",
        "boom/error_message",
    }
    assert df["num/value"].tolist() == [5.0, 6.0, 6.0]
    assert df["num/value"].dtype == "float64"
    assert df["boom/value"][:2].tolist() == [1.0, 1.0] and math.isnan(df["boom/value"][2])
    assert df["boom/error_message"].isna().tolist() == [True, True, False]
    assert df["boom/error_message"][2] == "bad"
    assert df["b/value"].tolist() == [True, True, True]
    assert result.metrics == {"num/mean": 17 / 3, "boom/mean": 1.0, "a/mean": 1.0, "b/mean": 1.0}


# -- "Handle exceptions explicitly" ------------------------------------------------------------


@scorer
def is_valid_response(outputs):
    try:
        data = json.loads(outputs)
        required_fields = ["summary", "confidence", "sources"]
        missing = [f for f in required_fields if f not in data]

        if missing:
            return Feedback(
                error=AssessmentError(
                    error_code="MISSING_REQUIRED_FIELDS",
                    error_message=f"Missing required fields: {missing}",
                )
            )

        return Feedback(value=True, rationale="Valid JSON with all required fields")

    except json.JSONDecodeError as e:
        return Feedback(error=e)  # Can pass exception object directly to the error parameter


def test_feedback_errors_from_the_docs_reach_result_df_and_the_store(store_dir: Path) -> None:
    data = [
        {"inputs": {"q": "a"}, "outputs": '{"summary": 1}'},
        {"inputs": {"q": "b"}, "outputs": "not json"},
        {"inputs": {"q": "c"}, "outputs": '{"summary": 1, "confidence": 2, "sources": 3}'},
    ]
    result = mlflow.genai.evaluate(data=data, scorers=[is_valid_response])
    df = result.result_df
    assert result.metrics == {"is_valid_response/mean": 1.0}
    # The error rows have no value: None or NaN (in MLflow, whichever pandas infers per row).
    assert df["is_valid_response/value"].isna().tolist() == [True, True, False]
    assert df["is_valid_response/value"][2] is True
    assert df["is_valid_response/error_message"][:2].tolist() == [
        "Missing required fields: ['confidence', 'sources']",
        "Expecting value: line 1 column 1 (char 0)",
    ]
    assert pd.isna(df["is_valid_response/error_message"][2])
    stored = {
        t.info.trace_id: t for t in mlflow.search_traces(run_id=result.run_id, return_type="list")
    }
    errors = [
        next(a for a in stored[trace_id].info.assessments if a.name == "is_valid_response").error
        for trace_id in df["trace_id"][:2]
    ]
    assert [e.error_code for e in errors] == ["MISSING_REQUIRED_FIELDS", "JSONDecodeError"]


# -- MLflow's evaluation tests: static rows, predict_fn, scorer traces -------------------------


class TestModel:
    __test__ = False  # not a pytest class: MLflow's app

    def predict(self, question: str) -> str:
        return "I don't know"


@scorer
def is_concise(outputs, expectations):
    return len(outputs) <= expectations["max_length"]


@scorer
def relevance(inputs, outputs):
    return Feedback(
        name="relevance",
        value="yes",
        rationale="The response is relevant to the question",
        source=AssessmentSource(source_id="gpt", source_type="LLM_JUDGE"),
    )


@scorer
@mlflow.trace(span_type=SpanType.EVALUATOR)
def has_trace(trace):
    return trace is not None


SCORERS = [exact_match, is_concise, relevance, has_trace]


def _validate_feedback(traces: list[Trace], run_id: str) -> None:
    """MLflow's _validate_assessments, for the Feedback the scorers gave."""
    for trace in traces:
        assessments = {a.name: a for a in trace.info.assessments}
        a_exact_match = assessments["exact_match"]
        assert isinstance(a_exact_match, Feedback)
        assert a_exact_match.trace_id == trace.info.trace_id
        assert isinstance(a_exact_match.value, bool)
        assert a_exact_match.source.source_type == AssessmentSourceType.CODE
        # Scorer name is used as source_id
        assert a_exact_match.source.source_id == "exact_match"
        assert a_exact_match.metadata[AssessmentMetadataKey.SOURCE_RUN_ID] == run_id
        assert assessments["has_trace"].value is True
        a_relevance = assessments["relevance"]
        assert a_relevance.value == "yes"
        assert a_relevance.source.source_id == "gpt"
        assert a_relevance.source.source_type == "LLM_JUDGE"
        assert a_relevance.rationale == "The response is relevant to the question"


def _validate_eval_result_df(result: Any) -> None:
    """MLflow's _validate_eval_result_df: result_df agrees with search_traces, row by row."""
    search_traces_df = mlflow.search_traces(run_id=result.run_id)
    assert len(result.result_df) == len(search_traces_df)
    assert set(result.result_df.columns) >= set(search_traces_df.columns)
    actual = result.result_df.sort_values(by="trace_id").reset_index(drop=True)
    expected = search_traces_df.sort_values(by="trace_id").reset_index(drop=True)
    for i in range(len(actual)):
        assert actual.iloc[i].trace_id == expected.iloc[i].trace_id
        assert actual.iloc[i].spans == expected.iloc[i].spans
        assert actual.iloc[i].assessments == expected.iloc[i].assessments
        assert actual.iloc[i]["exact_match/value"] is not None
        assert actual.iloc[i]["is_concise/value"] is not None
        assert actual.iloc[i]["relevance/value"] is not None
        assert actual.iloc[i]["has_trace/value"] is not None
        assert actual.iloc[i]["expected_response/value"] is not None
        assert actual.iloc[i]["max_length/value"] is not None
    # backwards compatibility
    assert len(result.tables["eval_results"]) == len(result.result_df)


def test_evaluate_with_static_dataset(store_dir: Path) -> None:
    data = [
        {
            "inputs": {"question": "What is MLflow?"},
            "outputs": "MLflow is a tool for ML",
            "expectations": {
                "expected_response": "MLflow is a tool for ML",
                "max_length": 100,
            },
        },
        {
            "inputs": {"question": "What is Spark?"},
            "outputs": "Spark is a fast data processing engine",
            "expectations": {
                "expected_response": "Spark is a fast data processing engine",
                "max_length": 1,
            },
        },
    ]

    result = mlflow.genai.evaluate(
        data=data,
        scorers=SCORERS,
    )

    metrics = result.metrics
    assert metrics["exact_match/mean"] == 1.0
    assert metrics["is_concise/mean"] == 0.5
    assert metrics["relevance/mean"] == 1.0
    assert metrics["has_trace/mean"] == 1.0

    # Exact number of traces should be generated: has_trace's own trace is not kept.
    traces = all_traces()
    assert len(traces) == len(data)

    # Traces should be associated with the eval run
    traces = mlflow.search_traces(run_id=result.run_id, return_type="list")
    assert len(traces) == len(data)

    # Re-order traces to match with the order of the input data
    traces = sorted(traces, key=lambda t: t.data.spans[0].inputs["question"])

    for i in range(len(traces)):
        assert len(traces[i].data.spans) == 1
        span = traces[i].data.spans[0]
        assert span.name == "root_span"
        assert span.span_type == SpanType.CHAIN
        assert span.inputs == data[i]["inputs"]
        assert span.outputs == data[i]["outputs"]

    _validate_feedback(traces, result.run_id)
    _validate_eval_result_df(result)


@pytest.mark.parametrize("is_predict_fn_traced", [True, False])
def test_evaluate_with_predict_fn(store_dir: Path, is_predict_fn_traced: bool) -> None:
    # As a context manager, so the model is not left active for the tests after this one.
    with mlflow.set_active_model(name="test-model-id") as active_model:
        model_id = active_model.model_id
        result, data = _evaluate_with_predict_fn(is_predict_fn_traced, model_id)

    metrics = result.metrics
    assert metrics["exact_match/mean"] == 0.0
    assert metrics["is_concise/mean"] == 0.5
    assert metrics["relevance/mean"] == 1.0
    assert metrics["has_trace/mean"] == 1.0

    # Exact number of traces should be generated
    traces = all_traces()
    assert len(traces) == len(data)

    # Traces should be associated with the eval run
    traces = mlflow.search_traces(run_id=result.run_id, return_type="list")
    assert len(traces) == len(data)

    # Re-order traces to match with the order of the input data
    traces = sorted(traces, key=lambda t: t.data.spans[0].inputs["question"])

    # Check if the model_id is set in the traces
    assert traces[0].info.trace_metadata[TraceMetadataKey.MODEL_ID] == model_id
    assert traces[1].info.trace_metadata[TraceMetadataKey.MODEL_ID] == model_id

    for i in range(len(traces)):
        assert len(traces[i].data.spans) == 1
        span = traces[i].data.spans[0]
        assert span.name == "predict"
        assert span.inputs == data[i]["inputs"]
        assert span.outputs == "I don't know"

    _validate_feedback(traces, result.run_id)
    _validate_eval_result_df(result)


def _evaluate_with_predict_fn(is_predict_fn_traced: bool, model_id: str) -> tuple[Any, Any]:
    """The rest of MLflow's test_evaluate_with_predict_fn up to its evaluate call, as written."""
    data = [
        {
            "inputs": {"question": "What is MLflow?"},
            "expectations": {
                "expected_response": "MLflow is a tool for ML",
                "max_length": 100,
            },
        },
        {
            "inputs": {"question": "What is Spark?"},
            "expectations": {
                "expected_response": "Spark is a fast data processing engine",
                "max_length": 1,
            },
        },
    ]
    model = TestModel()
    predict_fn = mlflow.trace(model.predict) if is_predict_fn_traced else model.predict

    result = mlflow.genai.evaluate(
        predict_fn=predict_fn,
        data=data,
        scorers=SCORERS,
        model_id=model_id,
    )
    return result, data


def test_a_model_id_must_name_a_model(store_dir: Path) -> None:
    with pytest.raises(Exception, match="m-unknown"):
        mlflow.genai.evaluate(
            data=[{"inputs": {"q": 1}, "outputs": "o"}], scorers=[], model_id="m-unknown"
        )


def test_traces_scorers_make_are_not_kept(store_dir: Path) -> None:
    @mlflow.trace
    def helper(x):
        return len(x)

    @scorer
    def uses_helper(outputs):
        return helper(outputs)

    @mlflow.trace
    def app(question):
        return question * 2

    data = [{"inputs": {"question": q}} for q in ("a", "bb")]
    result = mlflow.genai.evaluate(data=data, predict_fn=app, scorers=[uses_helper])
    assert result.metrics == {"uses_helper/mean": 3.0}
    traces = all_traces()
    assert len(traces) == len(data)
    assert {t.data.spans[0].name for t in traces} == {"app"}


def test_traces_of_a_judge_call_a_scorer_makes_are_not_kept(
    store_dir: Path, openai_env: str
) -> None:
    # As the harmfulness example of MLflow's @scorer docstring: a scorer asking an LLM, with
    # OpenAI autologging on (so MLflow's, and ScoreLens's, would trace the call).
    @scorer
    def helpfulness(outputs) -> Feedback:
        response = openai.OpenAI().chat.completions.create(
            model="o4-mini",
            messages=[{"role": "user", "content": f"Is this helpful? {outputs}"}],
        )
        return Feedback(value="yes", rationale=response.choices[0].message.content)

    mlflow.openai.autolog()
    try:
        result = mlflow.genai.evaluate(
            data=[{"inputs": {"q": "a"}, "outputs": "How do I return a microwave?"}],
            scorers=[helpfulness],
        )
    finally:
        mlflow.openai.autolog(disable=True)
    assert result.metrics == {"helpfulness/mean": 1.0}
    assert "30 days" in result.result_df["helpfulness/rationale"][0]  # the judge did answer
    (only,) = all_traces()
    assert only.data.spans[0].name == "root_span"


# -- scorers is required, and must be a list of scorers ----------------------------------------


def test_missing_scorers_argument(store_dir: Path) -> None:
    with pytest.raises(TypeError, match=r"evaluate\(\) missing 1 required positional"):
        mlflow.genai.evaluate(data=[{"inputs": "Hello", "outputs": "Hi"}])  # type: ignore[call-arg]


def test_empty_scorers_allowed(store_dir: Path) -> None:
    data = [{"inputs": {"question": "What is MLflow?"}, "outputs": "MLflow is an ML platform"}]
    result = mlflow.genai.evaluate(data=data, scorers=[])
    assert result.metrics == {}
    assert len(mlflow.search_traces(run_id=result.run_id)) == 1


def test_scorers_that_are_not_a_list_of_scorers_are_rejected(store_dir: Path) -> None:
    data = [{"inputs": {"question": "What is MLflow?"}, "outputs": "MLflow is an ML platform"}]
    with pytest.raises(Exception, match=r"The `scorers` argument must be a list of scorers\."):
        mlflow.genai.evaluate(data=data, scorers=None)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="an invalid item with type: builtin_function_or_method"):
        mlflow.genai.evaluate(data=data, scorers=[len])  # type: ignore[list-item]
