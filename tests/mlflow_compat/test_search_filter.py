"""search_traces' filter_string and order_by, as MLflow's "Search Traces" guide uses them.

Sources:
  https://mlflow.org/docs/latest/genai/tracing/search-traces (docs/docs/genai/tracing/
    search-traces.mdx): every filter string and order_by below is the guide's, verbatim.
  https://mlflow.org/docs/latest/genai/tracing/observe-with-traces/query-via-sdk ("Query Traces
    via SDK"): the snippets in test_query_via_sdk_*, verbatim but for the imports.
The guide gives no results, so the traces below are built to give each example something to
find; the expected traces are what MLflow 3.17.2 returns for the same traces, checked by running
this file against MLflow (`import mlflow`, a sqlite store).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import scorelens as mlflow
from scorelens.entities import SpanType

# The "Query Traces via SDK" snippets pass experiment_ids, which MLflow 3.17.2 deprecates (in
# favour of locations) with this warning; test_search_traces checks it is given.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Parameter 'experiment_ids' is deprecated:FutureWarning"
)

# -- the traces ---------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Time stands still but for sleeps, so durations and timestamps come out exact (no waiting).

    Traces take their times from time.time_ns(), as MLflow's do; sleeping advances it.
    """
    now = [time.time_ns() // 1_000_000 * 1_000_000]

    def sleep(seconds: float) -> None:
        now[0] += round(seconds * 1_000_000_000)

    monkeypatch.setattr(time, "time_ns", lambda: now[0])
    monkeypatch.setattr(time, "time", lambda: now[0] / 1_000_000_000)
    monkeypatch.setattr(time, "sleep", sleep)


def llm_call(question: str, model_version: str) -> str:
    with mlflow.start_span(name="llm_call", span_type=SpanType.LLM) as span:
        span.set_attributes({"model_version": model_version})
        span.set_inputs({"question": question})
        answer = f"Once upon a time: {question}"
        span.set_outputs(answer)
    return answer


@mlflow.trace(name="predict", span_type=SpanType.CHAIN)
def predict(question: str) -> str:
    mlflow.update_current_trace(
        tags={"model_name": "gpt-4", "environment": "production", "version": "v1.2"},
        metadata={"user_id": "user_1"},
    )
    time.sleep(0.5)
    return llm_call(question, "v2")


@mlflow.trace(name="inference_2", span_type=SpanType.AGENT)
def inference(question: str) -> str:
    mlflow.update_current_trace(
        tags={"model_name": "gpt-3.5-turbo", "environment": "production", "importance": "high"}
    )
    with mlflow.start_span(name="embedding_lookup", span_type=SpanType.RETRIEVER) as span:
        span.set_attributes({"model_version": "v2"})
    time.sleep(1.5)
    raise ConnectionError("authentication error: the token expired")


@mlflow.trace(name="Predict_3", span_type=SpanType.CHAIN)
def predict_again(question: str) -> str:
    mlflow.update_current_trace(tags={"environment": "Production", "importance": "high"})
    time.sleep(0.2)
    return llm_call(question, "v1") + " (after a timeout)"


@mlflow.trace(name="summarize")
def summarize(text: str) -> str:
    mlflow.update_current_trace(
        tags={"environment": "production", "version": "2.0", "user_id": "user123"}
    )
    time.sleep(0.8)
    return text[:10]


@pytest.fixture
def names(store_dir: Path, clock: None) -> Iterator[dict[str, str]]:
    """Four traces in experiment "1" over two hours, with feedback and expectations.

    predict (500 ms), inference_2 (1.5 s, ERROR) 50 min later, Predict_3 (200 ms) 50 min after
    that, summarize (800 ms) 15 min later; "now" is 5 min after summarize. Yields the name of
    each trace id.
    """
    mlflow.set_experiment("search-guide")
    ids: dict[str, str] = {}
    predict("a dragon")
    ids["predict"] = str(mlflow.get_last_active_trace_id())
    time.sleep(50 * 60)
    with pytest.raises(ConnectionError):
        inference("Why did my login fail?")
    ids["inference_2"] = str(mlflow.get_last_active_trace_id())
    time.sleep(50 * 60)
    predict_again("a robot")
    ids["Predict_3"] = str(mlflow.get_last_active_trace_id())
    time.sleep(15 * 60)
    summarize("A long text about many things")
    ids["summarize"] = str(mlflow.get_last_active_trace_id())
    time.sleep(5 * 60)
    mlflow.log_feedback(trace_id=ids["predict"], name="rating", value="positive")
    mlflow.log_feedback(trace_id=ids["predict"], name="user_comment", value="Very helpful!")
    mlflow.log_feedback(trace_id=ids["inference_2"], name="rating", value="negative")
    mlflow.log_feedback(trace_id=ids["Predict_3"], name="user_comment", value="Not helpful")
    mlflow.log_expectation(trace_id=ids["predict"], name="accuracy", value="high")
    mlflow.log_expectation(trace_id=ids["inference_2"], name="label", value="Success")
    mlflow.log_expectation(trace_id=ids["summarize"], name="label", value="failure")
    yield {trace_id: name for name, trace_id in ids.items()}
    mlflow.set_experiment("Default")


def found(names: dict[str, str], traces: pd.DataFrame) -> list[str]:
    return [names[trace_id] for trace_id in traces["trace_id"]]


# -- "Example Queries" -------------------------------------------------------------------------

NEWEST_FIRST = ["summarize", "Predict_3", "inference_2", "predict"]

EXAMPLES = [
    # Full Text Search
    ("trace.text LIKE '%authentication error%'", ["inference_2"]),
    ("trace.text LIKE '%timeout%'", ["Predict_3"]),
    # Filter by Name
    ("trace.name = 'predict'", ["predict"]),
    ("trace.name LIKE '%inference%'", ["inference_2"]),
    ("trace.name ILIKE '%PREDICT%'", ["Predict_3", "predict"]),
    ("trace.name RLIKE '^(predict|inference)_[0-9]+'", ["inference_2"]),
    # Filter by Status
    ("trace.status = 'OK'", ["summarize", "Predict_3", "predict"]),
    ("trace.status = 'ERROR'", ["inference_2"]),
    ("trace.status != 'OK'", ["inference_2"]),
    # Filter by Execution Time
    ("trace.execution_time_ms > 1000", ["inference_2"]),
    (
        "trace.execution_time_ms >= 200 AND trace.execution_time_ms <= 800",
        ["summarize", "Predict_3", "predict"],
    ),
    ("trace.execution_time_ms = 500", ["predict"]),
    # Filter by Tags
    ("tag.model_name = 'gpt-4'", ["predict"]),
    ("tag.model_name LIKE 'gpt-%'", ["inference_2", "predict"]),
    ("tag.environment ILIKE '%prod%'", NEWEST_FIRST),
    ("tag.version RLIKE '^v[0-9]+\\.[0-9]+'", ["predict"]),
    # Filter by Run Association (no trace of this store is in that run)
    ("trace.run_id = 'run_id_123456'", []),
    # Filter by Span Attributes
    ("span.name = 'llm_call'", ["Predict_3", "predict"]),
    ("span.name LIKE '%embedding%'", ["inference_2"]),
    ("span.type = 'LLM'", ["Predict_3", "predict"]),
    ("span.attributes.model_version LIKE '%v2%'", ["inference_2", "predict"]),
    ("span.attributes.temperature LIKE '%0.7%'", []),
    ("span.attributes.model_version ILIKE '%V2%'", ["inference_2", "predict"]),
    # Filter by Feedback
    ("feedback.rating = 'positive'", ["predict"]),
    ("feedback.user_comment LIKE '%helpful%'", ["Predict_3", "predict"]),
    # Filter by Expectations
    ("expectation.accuracy = 'high'", ["predict"]),
    ("expectation.label ILIKE '%success%'", ["inference_2"]),
    # Combine Multiple Conditions
    ("trace.status = 'OK' AND tag.importance = 'high'", ["Predict_3"]),
    (
        """
        tag.environment = 'production'
        AND trace.status = 'ERROR'
        AND trace.execution_time_ms > 500
    """,
        ["inference_2"],
    ),
    (
        """
        span.name LIKE '%llm%'
        AND feedback.rating = 'positive'
        AND trace.execution_time_ms < 1000
    """,
        ["predict"],
    ),
    (
        """
        trace.name ILIKE '%inference%'
        AND trace.timestamp_ms > 1700000000000
        AND span.attributes.model_version LIKE '%v2%'
    """,
        ["inference_2"],
    ),
]


@pytest.mark.parametrize(("filter_string", "expected"), EXAMPLES)
def test_example_queries(names: dict[str, str], filter_string: str, expected: list[str]) -> None:
    assert found(names, mlflow.search_traces(filter_string=filter_string)) == expected


def test_filter_by_timestamp(names: dict[str, str]) -> None:
    # Get traces from last hour
    timestamp = int(time.time() * 1000)
    last_hour = mlflow.search_traces(filter_string=f"trace.timestamp_ms > {timestamp - 3600000}")

    # Exact timestamp match
    exact = mlflow.search_traces(filter_string=f"trace.timestamp_ms = {timestamp}")

    # Timestamp range
    in_range = mlflow.search_traces(
        filter_string=f"trace.timestamp_ms >= {timestamp - 7200000} AND trace.timestamp_ms <= {timestamp - 3600000}"  # noqa: E501
    )
    assert found(names, last_hour) == ["summarize", "Predict_3"]
    assert found(names, exact) == []
    assert found(names, in_range) == ["inference_2"]


def test_filter_by_end_time(names: dict[str, str]) -> None:
    # Get traces that completed in the last hour
    end_time = int(time.time() * 1000)
    last_hour = mlflow.search_traces(filter_string=f"trace.end_time_ms > {end_time - 3600000}")

    # Find traces that ended within a specific time range
    in_range = mlflow.search_traces(
        filter_string=f"trace.end_time_ms >= {end_time - 7200000} AND trace.end_time_ms <= {end_time - 3600000}"  # noqa: E501
    )
    assert found(names, last_hour) == ["summarize", "Predict_3"]
    assert found(names, in_range) == ["inference_2"]


def test_programmatic_search_and_return_format(names: dict[str, str]) -> None:
    # Basic search with default DataFrame output
    traces_df = mlflow.search_traces(filter_string="trace.status = 'OK'")

    # Return as list of Trace objects
    traces_list = mlflow.search_traces(filter_string="trace.status = 'OK'", return_type="list")

    assert isinstance(traces_df, pd.DataFrame)
    assert found(names, traces_df) == ["summarize", "Predict_3", "predict"]
    assert [t.info.trace_id for t in traces_list] == list(traces_df["trace_id"])
    assert [t.info.state for t in traces_list] == ["OK", "OK", "OK"]


ORDERINGS = [
    # "Ordering Results"
    (["timestamp_ms DESC"], NEWEST_FIRST),
    (["timestamp_ms DESC", "status ASC"], NEWEST_FIRST),
    # The other keys the guide lists: timestamp_ms, execution_time_ms, status, request_id.
    (["timestamp_ms ASC"], NEWEST_FIRST[::-1]),
    (["execution_time_ms DESC"], ["inference_2", "summarize", "predict", "Predict_3"]),
    (["execution_time_ms"], ["Predict_3", "predict", "summarize", "inference_2"]),
    (["status ASC"], ["inference_2", "summarize", "Predict_3", "predict"]),
    (["status DESC", "timestamp_ms ASC"], ["predict", "Predict_3", "summarize", "inference_2"]),
    # Names compare by code point, as MLflow's store does: capitals first.
    (["name"], ["Predict_3", "inference_2", "predict", "summarize"]),
    # A trace without the tag comes after those with it, either way.
    (["tags.model_name"], ["inference_2", "predict", "summarize", "Predict_3"]),
    (["tags.model_name DESC"], ["predict", "inference_2", "summarize", "Predict_3"]),
]


@pytest.mark.parametrize(("order_by", "expected"), ORDERINGS)
def test_ordering_results(names: dict[str, str], order_by: list[str], expected: list[str]) -> None:
    assert found(names, mlflow.search_traces(order_by=order_by)) == expected


def test_request_id_order_is_the_trace_id_order(names: dict[str, str]) -> None:
    ascending = mlflow.search_traces(order_by=["request_id"])
    assert list(ascending["trace_id"]) == sorted(names)
    descending = mlflow.search_traces(order_by=["request_id DESC"])
    assert list(descending["trace_id"]) == sorted(names, reverse=True)


def test_max_results_comes_after_filtering_and_ordering(names: dict[str, str]) -> None:
    frame = mlflow.search_traces(
        filter_string="trace.status = 'OK'", order_by=["execution_time_ms DESC"], max_results=2
    )
    assert found(names, frame) == ["summarize", "predict"]


# -- "Query Traces via SDK" --------------------------------------------------------------------


def test_query_via_sdk_basic_query(
    names: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Get recent error traces as a DataFrame
    error_traces = mlflow.search_traces(
        experiment_ids=["1"], filter_string="status = 'ERROR'", max_results=100
    )

    # Easy analysis with pandas
    print(f"Found {len(error_traces)} errors")
    print(f"Average execution time: {error_traces['execution_duration'].mean():.1f}ms")

    assert capsys.readouterr().out == "Found 1 errors\nAverage execution time: 1500.0ms\n"


def test_query_via_sdk_performance_monitoring(
    names: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Get successful traces to analyze performance
    recent_traces = mlflow.search_traces(
        experiment_ids=["1"],
        filter_string="status = 'OK'",
        order_by=["timestamp_ms DESC"],
        max_results=1000,
    )

    if not recent_traces.empty:
        # Basic performance metrics
        avg_time = recent_traces["execution_duration"].mean()
        p95_time = recent_traces["execution_duration"].quantile(0.95)

        print(f"Average execution time: {avg_time:.1f}ms")
        print(f"95th percentile: {p95_time:.1f}ms")

        # Find slowest traces
        slow_traces = recent_traces[recent_traces["execution_duration"] > p95_time]
        print(f"Found {len(slow_traces)} slow traces (>{p95_time:.1f}ms)")

    assert capsys.readouterr().out == (
        "Average execution time: 500.0ms\n"
        "95th percentile: 770.0ms\n"
        "Found 1 slow traces (>770.0ms)\n"
    )


def test_query_via_sdk_user_session_analysis(
    names: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Analyze traces for a specific user
    user_traces = mlflow.search_traces(
        experiment_ids=["1"],
        filter_string="tags.user_id = 'user123'",
        order_by=["timestamp_ms ASC"],
    )

    if not user_traces.empty:
        print(f"User has {len(user_traces)} interactions")

        # Calculate session metrics
        total_time = user_traces["execution_duration"].sum()
        error_count = len(user_traces[user_traces["state"] == "ERROR"])

        print(f"Total execution time: {total_time:.1f}ms")
        print(
            f"Error rate: {error_count}/{len(user_traces)} ({error_count / len(user_traces) * 100:.1f}%)"  # noqa: E501
        )

        # Show recent activity
        print("\nRecent traces:")
        for _, trace in user_traces.tail(3).iterrows():
            status = "✅" if trace["state"] == "OK" else "❌"
            print(f"  {status} {trace['execution_duration']:.1f}ms")

    assert capsys.readouterr().out == (
        "User has 1 interactions\n"
        "Total execution time: 800.0ms\n"
        "Error rate: 0/1 (0.0%)\n"
        "\nRecent traces:\n"
        "  ✅ 800.0ms\n"
    )


# -- beyond the guide's examples: MLflow's semantics, checked against MLflow 3.17.2 ----------

SEMANTICS = [
    # Aliases: attributes./attribute./trace. or none; tag./tags.; metadata./request_metadata.
    ("status = 'ERROR'", ["inference_2"]),
    ("attributes.status = 'ERROR'", ["inference_2"]),
    ('trace.status = "ERROR"', ["inference_2"]),
    ("trace.status IN ('ERROR', 'IN_PROGRESS')", ["inference_2"]),
    ("trace.status NOT IN ('OK')", ["inference_2"]),
    ("name = 'summarize'", ["summarize"]),
    ("timestamp_ms > 0 and execution_time >= 800", ["summarize", "inference_2"]),
    ("tags.`model_name` = 'gpt-4'", ["predict"]),
    ("tags.`mlflow.traceName` = 'predict'", ["predict"]),
    ("metadata.user_id = 'user_1'", ["predict"]),
    ("request_metadata.user_id LIKE 'user%'", ["predict"]),
    # A missing tag matches no comparison, not even !=; only IS NULL finds it.
    ("tags.model_name != 'gpt-4'", ["inference_2"]),
    ("tags.model_name IS NULL", ["summarize", "Predict_3"]),
    ("tags.model_name IS NOT NULL", ["inference_2", "predict"]),
    ("metadata.user_id IS NULL", ["summarize", "Predict_3", "inference_2"]),
    # LIKE is case-sensitive, ILIKE is not; RLIKE searches anywhere.
    ("tags.environment LIKE 'prod%'", ["summarize", "inference_2", "predict"]),
    ("tags.environment ILIKE 'PROD%'", NEWEST_FIRST),
    ("tags.environment RLIKE 'uct'", NEWEST_FIRST),
    ("trace.name LIKE 'predic_'", ["predict"]),
    ("trace.name LIKE 'Predict_'", []),
    ("trace.name LIKE 'predic_%'", ["predict"]),
    # Assessments: the value's JSON text; != only among traces that have one of that name.
    ("feedback.rating != 'positive'", ["inference_2"]),
    ("feedback.rating LIKE 'pos%'", []),
    ("feedback.rating LIKE '%pos%'", ["predict"]),
    ("feedback.rating IS NULL", ["summarize", "Predict_3"]),
    ("expectation.label IS NOT NULL", ["summarize", "inference_2"]),
    ("expectation.rating = 'positive'", []),
    # Spans: any span of the trace may match.
    ("span.name != 'llm_call'", NEWEST_FIRST),
    ("span.type IN ('RETRIEVER', 'AGENT')", ["inference_2"]),
    ("span.status = 'ERROR'", ["inference_2"]),
    # Issues: no trace here is linked to one.
    ("issue.id = 'issue-123'", []),
    # Linked prompts: none either.
    ('prompt = "qa-agent-system-prompt/4"', []),
]


@pytest.mark.parametrize(("filter_string", "expected"), SEMANTICS)
def test_filter_semantics(names: dict[str, str], filter_string: str, expected: list[str]) -> None:
    assert found(names, mlflow.search_traces(filter_string=filter_string)) == expected


def test_numeric_feedback_compares_as_numbers(store_dir: Path, clock: None) -> None:
    @mlflow.trace
    def answer(n: int) -> int:
        time.sleep(1)
        return n

    ids = []
    for n, score in ((1, 0.9), (2, 3), (3, True)):
        answer(n)
        trace_id = str(mlflow.get_last_active_trace_id())
        mlflow.log_feedback(trace_id=trace_id, name="score", value=score)
        ids.append(trace_id)

    def search(filter_string: str) -> list[str]:
        found = list(mlflow.search_traces(filter_string=filter_string)["trace_id"])
        return [str(ids.index(trace_id) + 1) for trace_id in found]

    assert search("feedback.score > 0.5") == ["2", "1"]
    assert search("feedback.score >= 3") == ["2"]
    assert search("feedback.score < 1") == ["1"]
    # As text, a number matches its JSON; a boolean is 'true', and no number to compare.
    assert search("feedback.score = '3'") == ["2"]
    assert search("feedback.score = '0.9'") == ["1"]
    assert search("feedback.score = 'true'") == ["3"]
    assert search("feedback.score = 'True'") == []
