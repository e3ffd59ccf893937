"""search_traces' arguments and DataFrame, and get_trace, as MLflow 3.17.2 has them.

Sources:
  mlflow/tests/tracing/test_fluent.py: DefaultTestModel, test_search_traces_yields_expected_
    dataframe_contents, test_get_trace, test_search_traces_invalid_return_types,
    test_search_traces_with_run_id (its run_id + sourceRun error), kept verbatim but for the
    imports and the notes at each.
  mlflow/tracing/fluent.py (3.17.2 site-packages): search_traces' and get_trace's docstrings
    (get_trace's example is verbatim); `experiment_ids` is deprecated for `locations` with a
    FutureWarning; `locations` must be a list; `model_id` and `filter_string` exclude each other.
  mlflow/entities/trace.py: Trace.to_pandas_dataframe_row gives each column's values.
  https://mlflow.org/docs/latest/genai/tracing/search-traces, "Return Format": a DataFrame by
    default, `return_type="list"` a list of Trace.
Every expected value was checked by running the same code on MLflow 3.17.2 (a sqlite store),
except the tests marked as ScoreLens's own.
"""

# MLflow's examples use get_trace's and get_last_active_trace_id's results unchecked (both may
# be None), and its DefaultTestModel has no annotations; its code is kept as written.
# mypy: disable-error-code="union-attr, arg-type, no-untyped-def, no-untyped-call"
from __future__ import annotations

import contextlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import scorelens as mlflow
from scorelens.entities import SpanType, Trace

MLFLOW_COLUMNS = [
    "trace_id",
    "trace",
    "client_request_id",
    "state",
    "request_time",
    "execution_duration",
    "request",
    "response",
    "trace_metadata",
    "tags",
    "spans",
    "assessments",
]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Time stands still but for sleeps: MLflow's tests sleep to space traces out; no waiting."""
    now = [time.time_ns() // 1_000_000 * 1_000_000]

    def sleep(seconds: float) -> None:
        now[0] += round(seconds * 1_000_000_000)

    monkeypatch.setattr(time, "time_ns", lambda: now[0])
    monkeypatch.setattr(time, "time", lambda: now[0] / 1_000_000_000)
    monkeypatch.setattr(time, "sleep", sleep)


class DefaultTestModel:
    @mlflow.trace()
    def predict(self, x, y):
        z = x + y
        z = self.add_one(z)
        z = mlflow.trace(self.square)(z)
        return z

    @mlflow.trace(span_type=SpanType.LLM, name="add_one_with_custom_name", attributes={"delta": 1})
    def add_one(self, z):
        return z + 1

    def square(self, t):
        res = t**2
        time.sleep(0.1)
        return res


def test_search_traces_yields_expected_dataframe_contents(store_dir: Path, clock: None) -> None:
    model = DefaultTestModel()
    expected_traces = []
    for _ in range(10):
        model.predict(2, 5)
        time.sleep(0.1)

        trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
        expected_traces.append(trace)

    df = mlflow.search_traces(max_results=10, order_by=["timestamp ASC"])
    # MLflow asserts the columns are exactly these; ScoreLens adds its own after them.
    assert df.columns.tolist()[: len(MLFLOW_COLUMNS)] == [
        "trace_id",
        "trace",
        "client_request_id",
        "state",
        "request_time",
        "execution_duration",
        "request",
        "response",
        "trace_metadata",
        "tags",
        "spans",
        "assessments",
    ]
    for idx, trace in enumerate(expected_traces):
        assert df.iloc[idx].trace_id == trace.info.trace_id
        assert Trace.from_json(df.iloc[idx].trace).info.trace_id == trace.info.trace_id
        assert df.iloc[idx].client_request_id == trace.info.client_request_id
        assert df.iloc[idx].state == trace.info.state
        assert df.iloc[idx].request_time == trace.info.request_time
        assert df.iloc[idx].execution_duration == trace.info.execution_duration
        assert df.iloc[idx].request == json.loads(trace.data.request)
        assert df.iloc[idx].response == json.loads(trace.data.response)
        assert df.iloc[idx].trace_metadata == trace.info.trace_metadata
        assert df.iloc[idx].spans == [s.to_dict() for s in trace.data.spans]
        assert df.iloc[idx].tags == trace.info.tags
        assert df.iloc[idx].assessments == trace.info.assessments


def test_columns_hold_what_to_pandas_dataframe_row_gives(store_dir: Path) -> None:
    """Trace.to_pandas_dataframe_row: `trace` is JSON text, spans and assessments dicts."""

    @mlflow.trace
    def answer(question: str) -> dict[str, Any]:
        mlflow.update_current_trace(
            tags={"topic": "geography"}, metadata={"user_id": "u1"}, client_request_id="req-1"
        )
        return {"text": question.upper()}

    answer("capital of France?")
    trace_id = mlflow.get_last_active_trace_id()
    mlflow.log_feedback(trace_id=trace_id, name="correct", value=True, rationale="It is.")
    mlflow.log_expectation(trace_id=trace_id, name="expected", value="PARIS")

    frame = mlflow.search_traces()
    assert len(frame) == 1
    row: Any = frame.iloc[0]
    trace = mlflow.get_trace(trace_id)
    assert isinstance(row.trace, str)
    assert json.loads(row.trace) == json.loads(trace.to_json())
    assert row.client_request_id == "req-1"
    assert (row.state, row.request, row.response) == (
        "OK",
        {"question": "capital of France?"},
        {"text": "CAPITAL OF FRANCE?"},
    )
    assert row.tags["topic"] == "geography"
    assert row.trace_metadata["user_id"] == "u1"
    assert row.spans == [s.to_dict() for s in trace.data.spans]
    assert row.assessments == [a.to_dictionary() for a in trace.info.assessments]
    assert [
        (a["assessment_name"], a.get("feedback"), a.get("expectation")) for a in row.assessments
    ] == [
        ("correct", {"value": True}, None),
        ("expected", None, {"value": "PARIS"}),
    ]
    assert row.assessments[0]["rationale"] == "It is."


def test_a_failed_trace_has_no_response(store_dir: Path, clock: None) -> None:
    @mlflow.trace
    def flaky(n: int) -> int:
        if n == 0:
            raise ValueError("boom")
        return n

    for n in (1, 0):
        with contextlib.suppress(ValueError):
            flaky(n)
        time.sleep(1)

    df = mlflow.search_traces(order_by=["timestamp_ms ASC"])
    assert list(df["state"]) == ["OK", "ERROR"]
    assert df["response"].isnull().tolist() == [False, True]
    assert df["request"].tolist() == [{"n": 1}, {"n": 0}]


def test_search_traces_empty(store_dir: Path) -> None:
    traces = mlflow.search_traces()
    assert len(traces) == 0
    assert traces.columns.tolist()[: len(MLFLOW_COLUMNS)] == MLFLOW_COLUMNS
    assert mlflow.search_traces(return_type="list") == []


def test_return_type_list(store_dir: Path, clock: None) -> None:
    @mlflow.trace
    def traced_func(x: int) -> int:
        return x + 1

    traced_func(1)
    time.sleep(1)
    traced_func(2)

    traces = mlflow.search_traces(return_type="list")
    assert [type(t) for t in traces] == [Trace, Trace]
    assert [t.data.spans[0].inputs for t in traces] == [{"x": 2}, {"x": 1}]


def test_search_traces_invalid_return_types(store_dir: Path) -> None:
    # MLflow raises MlflowException; ScoreLens a ValueError. MLflow's second check, of the
    # deprecated extract_fields argument, has no counterpart here.
    with pytest.raises(Exception, match=r"Invalid return type"):
        mlflow.search_traces(return_type="invalid")  # type: ignore[call-overload]


def test_include_spans_false_gives_trace_info_only(store_dir: Path) -> None:
    @mlflow.trace
    def traced_func(x: int) -> int:
        return x + 1

    traced_func(1)
    df = mlflow.search_traces(include_spans=False)
    assert df["spans"].tolist() == [[]]
    assert df["request"].isnull().all() and df["response"].isnull().all()
    (trace,) = mlflow.search_traces(include_spans=False, return_type="list")
    assert trace.data.spans == []
    assert trace.info.state == "OK"


def test_max_results_of_zero_or_less_finds_nothing(store_dir: Path) -> None:
    @mlflow.trace
    def traced_func(x: int) -> int:
        return x + 1

    for x in range(3):
        traced_func(x)
    assert len(mlflow.search_traces(max_results=2)) == 2
    assert len(mlflow.search_traces(max_results=0)) == 0
    assert len(mlflow.search_traces(max_results=-1)) == 0


# -- where to search --------------------------------------------------------------------------


def test_locations_and_the_deprecated_experiment_ids(store_dir: Path, clock: None) -> None:
    @mlflow.trace
    def traced_func(x: int) -> int:
        return x + 1

    traced_func(0)  # in the Default experiment, "0"
    mlflow.set_experiment("first")
    traced_func(1)
    time.sleep(1)
    traced_func(2)

    # Without locations, the current experiment.
    assert mlflow.search_traces()["request"].tolist() == [{"x": 2}, {"x": 1}]
    assert len(mlflow.search_traces(locations=["1"])) == 2
    assert len(mlflow.search_traces(locations=["0", "1"])) == 3
    assert len(mlflow.search_traces(locations=["42"])) == 0
    with pytest.warns(FutureWarning, match="'experiment_ids' is deprecated"):
        assert len(mlflow.search_traces(experiment_ids=["0"])) == 1
    with pytest.raises(Exception, match="locations must be a list, got str"):
        mlflow.search_traces(locations="1")  # type: ignore[call-overload]
    with (
        pytest.raises(Exception, match="Cannot specify both 'experiment_ids'"),
        pytest.warns(FutureWarning),
    ):
        mlflow.search_traces(experiment_ids=["0"], locations=["1"])


def test_run_id_scopes_the_search_to_the_run(store_dir: Path) -> None:
    @mlflow.trace
    def traced_func(x: int) -> int:
        return x + 1

    @mlflow.genai.scorer
    def positive(outputs: int) -> bool:
        return outputs > 0

    run = mlflow.genai.evaluate(
        data=[{"inputs": {"x": 1}}, {"inputs": {"x": 2}}],
        predict_fn=traced_func,
        scorers=[positive],
    )
    traced_func(3)  # not in the run

    in_run = mlflow.search_traces(run_id=run.run_id)
    assert sorted(r["x"] for r in in_run["request"]) == [1, 2]
    by_filter = mlflow.search_traces(filter_string=f"trace.run_id = '{run.run_id}'")
    assert sorted(by_filter["trace_id"]) == sorted(in_run["trace_id"])
    ok = mlflow.search_traces(run_id=run.run_id, filter_string="trace.status = 'OK'")
    assert len(ok) == 2
    with pytest.raises(Exception, match="You cannot filter by run_id when it is already"):
        mlflow.search_traces(
            run_id=run.run_id,
            filter_string="metadata.mlflow.sourceRun = '123'",
        )
    with pytest.raises(Exception, match=f"Run {run.run_id} belongs to"):
        mlflow.search_traces(run_id=run.run_id, locations=["42"])


def test_model_id_finds_the_traces_of_the_active_model(store_dir: Path) -> None:
    @mlflow.trace
    def traced_func(x: int) -> int:
        return x + 1

    traced_func(0)
    model = mlflow.set_active_model(name="my-agent")
    traced_func(1)
    mlflow.clear_active_model()
    traced_func(2)

    found = mlflow.search_traces(model_id=model.model_id)
    assert found["request"].tolist() == [{"x": 1}]
    with pytest.raises(Exception, match="Cannot specify both `model_id` or `filter_string`"):
        mlflow.search_traces(model_id=model.model_id, filter_string="trace.status = 'OK'")


# -- get_trace --------------------------------------------------------------------------------


def test_get_trace_example(store_dir: Path) -> None:
    with mlflow.start_span(name="span") as span:
        span.set_attribute("key", "value")

    trace = mlflow.get_trace(span.trace_id)
    print(trace)

    assert trace.info.trace_id == span.trace_id
    assert trace.data.spans[0].attributes["key"] == "value"


def test_get_trace(store_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    model = DefaultTestModel()
    model.predict(2, 5)

    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    trace_id = trace.info.trace_id
    assert [s.name for s in trace.data.spans] == [
        "predict",
        "add_one_with_custom_name",
        "square",
    ]
    assert mlflow.get_trace(trace_id).info.trace_id == trace_id

    # If not found, return None with warning
    with caplog.at_level(logging.WARNING):
        assert mlflow.get_trace("not_found") is None
    assert "not_found" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert mlflow.get_trace("not_found", silent=True) is None
    assert caplog.text == ""


# -- the frame back into evaluate (README) ------------------------------------------------------


def test_evaluate_rescores_a_filtered_search(store_dir: Path) -> None:
    @mlflow.trace
    def sample_app(question: str) -> str:
        if question == "fail":
            raise RuntimeError("no answer")
        return "an answer to " + question

    @mlflow.genai.scorer
    def response_length(outputs: str) -> int:
        return len(outputs)

    generated = mlflow.genai.evaluate(
        data=[{"inputs": {"question": q}} for q in ("a", "fail", "ccc")],
        predict_fn=sample_app,
        scorers=[response_length],
    )
    traces = mlflow.search_traces(run_id=generated.run_id, filter_string="trace.status = 'OK'")
    result = mlflow.genai.evaluate(data=traces, scorers=[response_length])
    assert sorted(result.result_df["trace_id"]) == sorted(traces["trace_id"])
    assert result.metrics["response_length/mean"] == 15.0


# -- ScoreLens's own arguments (not MLflow's) --------------------------------------------------


def test_scorelens_experiment_trace_ids_and_state_arguments(store_dir: Path) -> None:
    @mlflow.trace
    def traced_func(x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return x + 1

    mlflow.set_experiment("first")
    for x in (1, -1, 2):
        with contextlib.suppress(ValueError):
            traced_func(x)
    mlflow.set_experiment("Default")

    frame = mlflow.search_traces(experiment="first")
    assert len(frame) == 3
    one = frame["trace_id"][1]
    assert mlflow.search_traces(experiment="first", trace_ids=[one])["trace_id"].tolist() == [one]
    errors = mlflow.search_traces(experiment="first", state="ERROR")
    assert errors["request"].tolist() == [{"x": -1}]
    assert (
        errors["trace_id"].tolist()
        == mlflow.search_traces(experiment="first", filter_string="trace.status = 'ERROR'")[
            "trace_id"
        ].tolist()
    )
    with pytest.raises(ValueError, match="no experiment 'elsewhere'"):
        mlflow.search_traces(experiment="elsewhere")
    with pytest.raises(ValueError, match="no run 'nope'"):
        mlflow.search_traces(run_id="nope")


def test_the_trace_column_hands_evaluate_its_trace_without_parsing(store_dir: Path) -> None:
    @mlflow.trace
    def traced_func(x: int) -> int:
        return x + 1

    traced_func(1)
    (cell,) = mlflow.search_traces()["trace"]
    (trace,) = mlflow.search_traces(return_type="list")
    # A str holding the JSON, as in MLflow; it also carries the Trace it was written from.
    assert cell == trace.to_json()
    assert cell.trace.info.trace_id == trace.info.trace_id
    assert pd.api.types.is_object_dtype(mlflow.search_traces()["trace"])
