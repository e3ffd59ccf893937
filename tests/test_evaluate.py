"""evaluate(): generating traces with predict_fn, and re-scoring stored ones without it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pandas as pd
import pytest

import scorelens
from scorelens.entities import Trace
from scorelens.genai import evaluate
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.scorers import scorer

SUPPORT = Path(__file__).resolve().parent.parent / "fixtures" / "datasets" / "support.jsonl"


@scorer
def length(outputs: str) -> int:
    return len(outputs or "")


def test_predict_fn_runs_once_per_row_and_traces_each(store_dir: Path) -> None:
    calls: list[str] = []

    @scorelens.trace
    def app(question: str) -> str:
        calls.append(question)
        return question[::-1]

    data = [{"inputs": {"question": q}, "expectations": {"n": i}} for i, q in enumerate("abc")]
    result = evaluate(data, scorers=[length], predict_fn=app)
    assert calls == ["a", "b", "c"]
    stored = scorelens.search_traces(run_id=result.run_id)
    assert len(stored) == 3
    assert set(stored["trace_id"]) == set(result.result_df["trace_id"])
    assert sorted(e["n"] for e in stored["expectations"]) == [0, 1, 2]
    assert set(stored["run_id"]) == {result.run_id}
    assert result.metrics == {"length/mean": 1.0}


def test_untraced_predict_fn_still_gets_one_trace_per_row(store_dir: Path) -> None:
    def plain(question: str) -> str:
        return question.upper()

    result = generate_traces([{"inputs": {"question": "hi"}}], plain)
    (trace,) = scorelens.search_traces(run_id=result.run_id, return_type="list")
    # MLflow wraps such an app in @mlflow.trace: a span named after it, of the default type.
    root = trace.root_span
    assert root is not None and root.name == "plain"
    assert root.span_type == "UNKNOWN"
    assert (trace.inputs, trace.outputs) == ({"question": "hi"}, "HI")


def test_rescoring_stored_traces_runs_no_app_and_adds_no_traces(store_dir: Path) -> None:
    calls = 0

    @scorelens.trace
    def app(question: str) -> str:
        nonlocal calls
        calls += 1
        return "answer to " + question

    generated = generate_traces([{"inputs": {"question": q}} for q in ("x", "yy")], app)
    traces = scorelens.search_traces(run_id=generated.run_id)
    before = len(scorelens.search_traces())

    rescored = evaluate(traces, scorers=[length])
    assert calls == 2
    assert len(scorelens.search_traces()) == before
    assert set(rescored.result_df["trace_id"]) == set(traces["trace_id"])
    assert rescored.metrics == {"length/mean": 11.5}
    assert rescored.run_id != generated.run_id
    # The evaluation is recorded as a run pointing at the traces it scored.
    runs = {r["run_id"]: r for r in scorelens.tracking.get_store().list_runs()}
    assert runs[rescored.run_id]["source_run_ids"] == [generated.run_id]
    assert runs[rescored.run_id]["trace_count"] == 0
    assert runs[rescored.run_id]["metrics"] == {"length/mean": 11.5}

    # A list of Trace works the same, and the newest feedback per scorer is what is stored.
    @scorer(name="length")
    def doubled(outputs: str) -> int:
        return 2 * len(outputs)

    evaluate(
        scorelens.search_traces(run_id=generated.run_id, return_type="list"), scorers=[doubled]
    )
    assessments = scorelens.search_traces(run_id=generated.run_id)["assessments"]
    assert sorted(a["feedback"]["value"] for items in assessments for a in items) == [22, 24]


def test_expectations_logged_on_a_trace_reach_scorers(store_dir: Path) -> None:
    generated = generate_traces(
        [{"inputs": {"question": q}, "expectations": {"tone": "calm"}} for q in ("a", "b")],
        lambda question: question,
    )
    first, second = (t.trace_id for t in generated.traces)
    # As in MLflow, a logged Expectation is the trace's expectation; by name it wins over the
    # eval row's.
    scorelens.log_expectation(trace_id=first, name="answer", value="a")
    scorelens.log_expectation(trace_id=first, name="tone", value="warm")

    @scorer
    def expected(expectations: dict[str, Any]) -> str:
        return json.dumps(expectations, sort_keys=True)

    for data in (
        scorelens.search_traces(run_id=generated.run_id),
        scorelens.search_traces(run_id=generated.run_id, return_type="list"),
    ):
        frame = evaluate(data, scorers=[expected]).result_df.set_index("trace_id")
        assert frame.loc[first, "expected/value"] == '{"answer": "a", "tone": "warm"}'
        assert frame.loc[second, "expected/value"] == '{"tone": "calm"}'


def test_plain_rows_with_outputs_get_static_traces(store_dir: Path) -> None:
    frame = pd.DataFrame(
        {"inputs": [{"q": "a"}, {"q": "b"}], "outputs": ["one", "three"], "expectations": [{}, {}]}
    )
    result = evaluate(frame, scorers=[length])
    assert list(result.result_df["length/value"]) == [3, 5]
    assert len(scorelens.search_traces(run_id=result.run_id)) == 2


def test_bad_data_is_a_clear_error(store_dir: Path) -> None:
    with pytest.raises(ValueError, match="data row 2: needs 'inputs'"):
        evaluate([{"inputs": {}, "outputs": 1}, {"output": 2}], scorers=[length])
    with pytest.raises(ValueError, match="data row 1 has no 'outputs'"):
        evaluate([{"inputs": {"q": 1}}], scorers=[length])
    with pytest.raises(ValueError, match="invalid item with type: builtin_function_or_method"):
        evaluate([{"inputs": {}, "outputs": 1}], scorers=[len])  # type: ignore[list-item]


def test_a_failing_row_is_recorded_and_the_others_still_run(store_dir: Path) -> None:
    @scorelens.trace
    def app(n: int) -> float:
        return 1 / n

    result = generate_traces([{"inputs": {"n": n}} for n in (1, 0, 2)], app)
    df = scorelens.search_traces(run_id=result.run_id)
    states = dict(zip([r["n"] for r in df["request"]], df["state"], strict=True))
    assert states == {1: "OK", 0: "ERROR", 2: "OK"}
    traces = scorelens.search_traces(run_id=result.run_id, return_type="list")
    failed = next(t for t in traces if t.info.state == "ERROR")
    assert failed.root_span is not None
    assert "ZeroDivisionError" in failed.root_span.status_message


def test_openai_server_errors_and_outages_fail_only_their_rows(
    store_dir: Path, openai_env: str
) -> None:
    scorelens.openai.autolog()
    try:
        live = openai.OpenAI(max_retries=0)
        down = openai.OpenAI(max_retries=0, base_url="http://127.0.0.1:9/v1")

        @scorelens.trace
        def app(text: str, use_down_server: bool = False) -> str | None:
            client = down if use_down_server else live
            reply = client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": text}]
            )
            return reply.choices[0].message.content

        rows = [
            {"inputs": {"text": "How long is the warranty?"}},
            {"inputs": {"text": "[server-error]"}},
            {"inputs": {"text": "Is shipping free?", "use_down_server": True}},
            {"inputs": {"text": "What are your store hours?"}},
        ]
        result = evaluate(rows, scorers=[length], predict_fn=app)
    finally:
        scorelens.openai.autolog(disable=True)
    df = result.result_df
    assert list(df["state"]) == ["OK", "ERROR", "ERROR", "OK"]
    roots = [Trace.from_json(t).root_span for t in df["trace"]]  # JSON text, as in MLflow
    assert roots[1] is not None and "InternalServerError" in roots[1].status_message
    assert roots[2] is not None and "APIConnectionError" in roots[2].status_message
    assert df["length/value"][0] > 0


def test_realistic_dataset_end_to_end(store_dir: Path, openai_env: str) -> None:
    import fixtures.scorers as example
    from fixtures.sample_app import sample_app

    scorelens.openai.autolog()  # the app enables it on import; an earlier test may have undone it
    data = [json.loads(line) for line in SUPPORT.read_text().splitlines()]
    assert len(data) >= 50
    generated = generate_traces(data, sample_app)
    traces = scorelens.search_traces(run_id=generated.run_id)
    assert len(traces) == len(data) and set(traces["state"]) == {"OK"}
    result = evaluate(
        traces,
        scorers=[example.response_length, example.mentions_expected_facts, example.llm_tokens],
    )
    df = result.result_df
    assert not [c for c in df.columns if c.endswith("/error_message")]
    passed = df["mentions_expected_facts/value"].dropna()
    assert 0 < passed.sum() < len(passed)  # the fixture app gets some right, some wrong
    failed = df["mentions_expected_facts/value"].map(lambda v: v is False)
    missing = df.loc[failed, "mentions_expected_facts/rationale"]
    assert all(r.startswith("missing: ") for r in missing)
    assert result.metrics["llm_tokens/mean"] > 0
    assert result.metrics["response_length/min"] <= result.metrics["response_length/max"]


def expect_columns(frame: pd.DataFrame, names: list[str]) -> None:
    missing = [n for n in names if n not in frame.columns]
    assert not missing, missing


def test_search_traces_columns_and_filters(store_dir: Path) -> None:
    @scorelens.trace
    def app(x: int) -> Any:
        return x

    generate_traces([{"inputs": {"x": i}} for i in range(5)], app)
    frame = scorelens.search_traces()
    expect_columns(
        frame,
        [
            "trace_id",
            "trace",
            "request",
            "response",
            "inputs",
            "outputs",
            "expectations",
            "state",
            "request_time",
            "execution_duration",
            "spans",
            "assessments",
            "run_id",
        ],
    )
    assert list(frame["request_time"]) == sorted(frame["request_time"], reverse=True)
    assert len(scorelens.search_traces(max_results=2)) == 2
    one = frame["trace_id"][3]
    assert list(scorelens.search_traces(trace_ids=[one])["trace_id"]) == [one]
    with pytest.raises(ValueError, match="no run 'nope'"):
        scorelens.search_traces(run_id="nope")
    with pytest.raises(ValueError, match="no experiment 'elsewhere'"):
        scorelens.search_traces(experiment="elsewhere")


def test_experiments_keep_traces_apart(store_dir: Path) -> None:
    @scorelens.trace
    def app() -> int:
        return 1

    scorelens.set_experiment("first")
    app()
    scorelens.set_experiment("second")
    app()
    app()
    assert len(scorelens.search_traces()) == 2
    assert len(scorelens.search_traces(experiment="first")) == 1
    scorelens.set_experiment("Default")
    assert scorelens.search_traces().empty
