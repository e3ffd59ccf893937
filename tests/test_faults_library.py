"""Faults in what users hand the library: exotic Feedback and rows that are not plain JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import scorelens
from scorelens.entities import Feedback
from scorelens.genai import evaluate
from scorelens.genai.scorers import scorer

ROWS: list[dict[str, Any]] = [
    {"inputs": {"q": "a"}, "outputs": "short"},
    {"inputs": {"q": "b"}, "outputs": "a longer answer"},
]


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque handle>"


@scorer
def length(outputs: str) -> int:
    return len(outputs)


def _stored_feedback(run_id: str, trace_id: str, name: str) -> Feedback:
    (trace,) = scorelens.search_traces(run_id=run_id, trace_ids=[trace_id], return_type="list")
    return next(f for f in trace.info.assessments if isinstance(f, Feedback) and f.name == name)


@pytest.mark.parametrize(
    ("value", "kind"),
    [({"a", "b"}, "set"), (Opaque(), "Opaque"), ([1, {2}], "set")],
    ids=["set", "object", "nested-set"],
)
def test_feedback_with_an_unstorable_value_is_an_error_on_its_row(
    store_dir: Path, value: Any, kind: str
) -> None:
    @scorer
    def judge(outputs: str) -> Feedback:
        return Feedback(value=value if outputs == "short" else True, rationale="why")

    result = evaluate(ROWS, scorers=[judge, length])
    df = result.result_df
    error = df["judge/error_message"][0]
    assert isinstance(error, str) and kind in error and "JSON" in error
    assert df["judge/error_message"].isna().tolist() == [False, True]
    assert df["judge/value"][1] is True
    assert result.metrics == {"judge/mean": 1.0, "length/mean": 10.0}
    # The error is stored with the trace, and the run still finished.
    stored = _stored_feedback(result.run_id, df["trace_id"][0], "judge").error
    assert stored is not None and stored.error_message == error
    again = evaluate(scorelens.search_traces(run_id=result.run_id), scorers=[length])
    assert again.metrics == {"length/mean": 10.0}


def test_feedback_with_an_exception_as_error_records_its_message(store_dir: Path) -> None:
    @scorer
    def judge(outputs: str) -> Feedback:
        if outputs == "short":
            return Feedback(error=TimeoutError("the judge model timed out"))
        return Feedback(value=0.5)

    result = evaluate(ROWS, scorers=[judge])
    df = result.result_df
    # As in MLflow: the message in result_df, the exception's type as the error code.
    assert df["judge/error_message"][0] == "the judge model timed out"
    assert pd_isna(df["judge/error_message"][1])
    assert result.metrics == {"judge/mean": 0.5}
    stored = _stored_feedback(result.run_id, df["trace_id"][0], "judge").error
    assert stored is not None and stored.error_code == "TimeoutError"
    assert stored.error_message == "the judge model timed out"


def test_feedback_error_from_a_caught_exception_keeps_its_stack_trace(store_dir: Path) -> None:
    @scorer
    def judge(outputs: str) -> Feedback:
        try:
            int(outputs)
        except ValueError as exc:
            return Feedback(error=exc)
        return Feedback(value=1)

    result = evaluate(ROWS[:1], scorers=[judge])
    stored = _stored_feedback(result.run_id, result.result_df["trace_id"][0], "judge")
    assert stored.error is not None and "invalid literal for int()" in str(stored.error_message)
    assert stored.error.stack_trace is not None and "int(outputs)" in stored.error.stack_trace


def test_such_feedback_inside_a_list_fails_only_its_own_entry(store_dir: Path) -> None:
    @scorer
    def several(outputs: str) -> list[Feedback]:
        return [
            Feedback(name="size", value=len(outputs)),
            Feedback(name="tags", value={"x"}),
            Feedback(name="judge", error=RuntimeError("quota exhausted")),
        ]

    result = evaluate(ROWS, scorers=[several])
    df = result.result_df
    assert "size/error_message" not in df.columns
    assert df["size/value"].tolist() == [5, 15]
    assert all("set" in e for e in df["tags/error_message"])
    assert all("quota exhausted" in e for e in df["judge/error_message"])
    assert result.metrics == {"size/mean": 10.0}


def test_feedback_constructed_with_an_exception_holds_a_message() -> None:
    feedback = Feedback(name="judge", error=KeyError("answer"))
    # MLflow's form: the exception's type is the error code, its text the message.
    assert feedback.error is not None and feedback.error.error_code == "KeyError"
    assert feedback.error_message is not None and "answer" in feedback.error_message
    assert Feedback.from_dictionary(feedback.to_dictionary()) == feedback


def test_plain_rows_that_are_not_json_are_stored_as_repr_and_flagged(store_dir: Path) -> None:
    seen: list[Any] = []

    @scorer
    def peek(inputs: dict[str, Any], outputs: Any, expectations: dict[str, Any]) -> bool:
        seen.append((inputs["client"], outputs["raw"], expectations["labels"]))
        return True

    client, raw = Opaque(), Opaque()
    data = [
        {
            "inputs": {"client": client, "question": "hi"},
            "outputs": {"answer": "HI", "raw": raw},
            "expectations": {"labels": {"greeting"}, "n": 1},
        },
        {"inputs": {"question": "plain"}, "outputs": "PLAIN", "expectations": {"n": 2}},
    ]
    result = evaluate(data, scorers=[peek])
    # Scorers see the values as given; the store keeps a JSON-safe copy, flagged as traces are.
    assert seen[0] == (client, raw, {"greeting"})
    stored = scorelens.search_traces(run_id=result.run_id, return_type="list")
    by_id = {t.trace_id: t for t in stored}
    exotic = by_id[result.result_df["trace_id"][0]]
    root = exotic.root_span
    assert root is not None
    assert root.inputs == {"client": "<Opaque handle>", "question": "hi"}
    assert root.outputs == {"answer": "HI", "raw": "<Opaque handle>"}
    assert exotic.info.expectations == {"labels": "{'greeting'}", "n": 1}
    assert root.attributes["scorelens.unserializable"] == [
        "inputs.client",
        "outputs.raw",
        "expectations.labels",
    ]
    plain = by_id[result.result_df["trace_id"][1]]
    assert plain.root_span is not None
    assert "scorelens.unserializable" not in plain.root_span.attributes
    assert (plain.inputs, plain.outputs, plain.info.expectations) == (
        {"question": "plain"},
        "PLAIN",
        {"n": 2},
    )


def test_plain_rows_flag_what_json_would_silently_change(store_dir: Path) -> None:
    data = [{"inputs": {"scores": {1: "one"}}, "outputs": [float("inf"), 2.5]}]
    result = evaluate(data, scorers=[])
    (trace,) = scorelens.search_traces(run_id=result.run_id, return_type="list")
    assert (trace.inputs, trace.outputs) == ({"scores": {"1": "one"}}, ["inf", 2.5])
    assert trace.root_span is not None
    assert trace.root_span.attributes["scorelens.unserializable"] == [
        "inputs.scores[1]",
        "outputs[0]",
    ]


def test_unserializable_expectations_with_predict_fn_do_not_fail_the_run(store_dir: Path) -> None:
    def app(q: str) -> str:
        return q.upper()

    result = evaluate(
        [{"inputs": {"q": "a"}, "expectations": {"when": Opaque()}}], scorers=[], predict_fn=app
    )
    (trace,) = scorelens.search_traces(run_id=result.run_id, return_type="list")
    assert trace.outputs == "A"
    assert trace.info.expectations == {"when": "<Opaque handle>"}
    assert trace.root_span is not None
    assert trace.root_span.attributes["scorelens.unserializable"] == ["expectations.when"]


def pd_isna(value: Any) -> bool:
    return value is None or value != value
