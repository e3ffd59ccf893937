"""@scorer binding, return types and aggregations, through evaluate()."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest

import scorelens
from scorelens.entities import Feedback, Trace
from scorelens.genai import evaluate
from scorelens.genai.scorers import scorer

ROWS: list[dict[str, Any]] = [
    {"inputs": {"q": "a"}, "outputs": "short", "expectations": {"want": "short"}},
    {"inputs": {"q": "b"}, "outputs": "a longer answer", "expectations": {"want": "x"}},
    {"inputs": {"q": "c"}, "outputs": "mid size", "expectations": {"want": "mid size"}},
    {"inputs": {"q": "d"}, "outputs": "", "expectations": {"want": ""}},
]


def test_parameters_are_bound_by_name_in_any_subset(store_dir: Path) -> None:
    seen: dict[str, Any] = {}

    @scorer
    def nothing() -> int:
        return 1

    @scorer
    def reversed_order(expectations: dict[str, Any], outputs: str) -> bool:
        return bool(outputs == expectations["want"])

    @scorer
    def everything(trace: Trace, inputs: dict[str, Any], outputs: str, expectations: Any) -> int:
        seen[inputs["q"]] = (trace.trace_id, outputs)
        return 0

    @scorer
    def catch_all(**kwargs: Any) -> int:
        return len(kwargs)  # as in MLflow, only declared parameters are passed: none here

    result = evaluate(ROWS, scorers=[nothing, reversed_order, everything, catch_all])
    df = result.result_df
    assert list(df["nothing/value"]) == [1, 1, 1, 1]
    assert list(df["reversed_order/value"]) == [True, False, True, True]
    assert list(df["catch_all/value"]) == [0, 0, 0, 0]
    assert seen["b"] == (df["trace_id"][1], "a longer answer")
    assert result.metrics["reversed_order/mean"] == 0.75
    assert result.metrics["nothing/mean"] == 1.0


def test_return_types(store_dir: Path) -> None:
    @scorer
    def as_str(outputs: str) -> str:
        return "long" if len(outputs) > 5 else "short"

    @scorer
    def as_none(outputs: str) -> None:
        return None

    @scorer
    def as_feedback(outputs: str) -> Feedback:
        return Feedback(value=len(outputs), rationale=f"{len(outputs)} chars", metadata={"u": 1})

    @scorer
    def as_list(outputs: str) -> list[Feedback]:
        return [
            Feedback(name="has_space", value=" " in outputs),
            Feedback(name="empty", value=not outputs),
        ]

    result = evaluate(ROWS, scorers=[as_str, as_none, as_feedback, as_list])
    df = result.result_df
    assert list(df["as_str/value"]) == ["short", "long", "long", "short"]
    # As in MLflow, None is no Feedback at all: the scorer abstains, leaving no column.
    assert not any(c.startswith("as_none/") for c in df.columns)
    assert list(df["as_feedback/rationale"]) == ["5 chars", "15 chars", "8 chars", "0 chars"]
    assert list(df["has_space/value"]) == [False, True, True, False]
    assert list(df["empty/value"]) == [False, False, False, True]
    assert result.metrics["empty/mean"] == 0.25
    assert "as_str/mean" not in result.metrics  # strings do not aggregate
    assert "as_none/mean" not in result.metrics


@pytest.mark.parametrize(
    ("aggregations", "expected"),
    [
        (["min", "max"], {"min": 0, "max": 15}),
        (["mean", "median"], {"mean": 7.0, "median": 6.5}),
        (["variance"], {"variance": statistics.pvariance([5, 15, 8, 0])}),
        (["p90"], {"p90": 12.9}),
    ],
)
def test_aggregations(store_dir: Path, aggregations: list[str], expected: dict[str, float]) -> None:
    @scorer(name="length", aggregations=aggregations)
    def length_scorer(outputs: str) -> int:
        return len(outputs)

    metrics = evaluate(ROWS, scorers=[length_scorer]).metrics
    assert metrics == pytest.approx({f"length/{k}": v for k, v in expected.items()})


def test_callable_aggregation_and_bools_count_as_numbers(store_dir: Path) -> None:
    def passed(values: list[float]) -> float:
        return sum(values)

    @scorer(aggregations=[passed, "mean"])
    def non_empty(outputs: str) -> bool:
        return bool(outputs)

    assert evaluate(ROWS, scorers=[non_empty]).metrics == {
        "non_empty/passed": 3.0,
        "non_empty/mean": 0.75,
    }


def test_unknown_aggregation_is_rejected_at_definition() -> None:
    with pytest.raises(ValueError, match="unknown aggregation 'p99'"):

        @scorer(aggregations=["p99"])
        def s(outputs: str) -> int:
            return 1


def test_failures_are_recorded_per_row_and_summarised(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    @scorer
    def divides(outputs: str) -> float:
        return 10 / len(outputs)

    @scorer
    def returns_dict(outputs: str) -> Any:
        return {"score": 1}

    @scorer
    def wants_context(outputs: str, context: str) -> int:
        return 1

    @scorer
    def fine(outputs: str) -> int:
        return 1

    result = evaluate(ROWS, scorers=[divides, returns_dict, wants_context, fine])
    df = result.result_df
    # MLflow's column: the exception's message; rows without an error hold NaN.
    assert list(df["divides/error_message"].isna()) == [True, True, True, False]
    assert df["divides/error_message"][3] == "division by zero"
    assert df["divides/value"].isna().tolist() == [False, False, False, True]
    assert "returned dict" in df["returns_dict/error_message"][0]
    assert "'context'" in df["wants_context/error_message"][0]
    assert "fine/error_message" not in df.columns
    assert result.metrics["divides/mean"] == pytest.approx(statistics.fmean([2, 10 / 15, 1.25]))
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3
    assert err[0].startswith("scorelens: scorer 'divides' failed on 1 of 4 traces: ZeroDivision")
    # Errors are stored with the trace, stack trace starting in the user's code.
    stored = scorelens.search_traces(run_id=result.run_id, return_type="list")
    by_id = {t.trace_id: t.info.assessments for t in stored}
    failed = next(f for f in by_id[df["trace_id"][3]] if f.name == "divides")
    assert failed.error is not None and failed.error.error_code == "SCORER_ERROR"
    assert failed.error.stack_trace is not None and "in divides" in failed.error.stack_trace
    assert "scorelens/genai" not in failed.error.stack_trace


def test_scorer_stays_callable_like_the_function() -> None:
    @scorer
    def exact(outputs: str, expectations: dict[str, str]) -> bool:
        """Docstring kept."""
        return outputs == expectations["want"]

    assert exact(outputs="a", expectations={"want": "a"}) is True
    assert exact.__doc__ == "Docstring kept."
    assert exact.name == "exact"
