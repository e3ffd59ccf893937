"""Aggregated metrics, as MLflow computes them from the scorers' Feedback.

Sources:
  mlflow/mlflow tests/genai/scorers/test_aggregation.py: test_compute_aggregated_metrics,
    test_compute_aggregated_metrics_custom_function, test_compute_aggregated_metrics_empty,
    test_compute_aggregated_metrics_with_namespace, test_cast_numeric_values,
    test_non_aggregatable_string_warns_agent; their Feedback come here from scorers run by
    `evaluate` (compute_aggregated_metrics is MLflow-internal), with the same values
  MLflow docs, "Create custom code-based scorers"
    (docs/docs/genai/eval-monitor/scorers/custom/index.mdx in mlflow/mlflow): "Simple values"
    (response_length, contains_citation: "yes"/"no" is pass/fail)
  mlflow/genai/scorers/aggregation.py (MLflow 3.17.2): bools and "yes"/"no" in any case count
    as 1/0, other strings and None are left out
Expected values were checked by running the same code on MLflow 3.17.2 with a local store.
"""

# MLflow's examples define untyped functions; they are kept as written.
# mypy: disable-error-code="no-untyped-def, override"
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import scorelens as mlflow
from scorelens.entities import Feedback
from scorelens.genai.scorers import Scorer, scorer

# One row per EvalResult of MLflow's tests; its scorers pick their Feedback by the row's output.
ROWS = [{"inputs": {"row": i}, "outputs": str(i)} for i in range(4)]


def test_compute_aggregated_metrics(store_dir: Path) -> None:
    scorer1_feedback = {
        "0": [Feedback(name="scorer1", value=0.8)],
        "1": [Feedback(name="scorer1", value=0.9)],
        "2": [Feedback(name="scorer1", value=0.7)],
        # Should filter out assessment without a value
        "3": [Feedback(name="scorer1", error=Exception("Error"))],
    }
    scorer2_feedback = {
        "0": [Feedback(name="scorer2", value=0.7)],
        "1": [],
        "2": [
            Feedback(name="scorer2", value=0.5),
            Feedback(name="scorer2", value=0.6),  # Multiple assessments from a scorer
        ],
        "3": [],
    }

    @scorer(name="scorer1")  # Should default to ["mean"]
    def first(outputs):
        return scorer1_feedback[outputs]

    @scorer(name="scorer2", aggregations=["mean", "min", "max", "median", "variance", "p90"])
    def second(outputs):
        return scorer2_feedback[outputs]

    result = mlflow.genai.evaluate(data=ROWS, scorers=[first, second]).metrics

    assert result["scorer1/mean"] == pytest.approx(0.8)
    assert result["scorer2/mean"] == pytest.approx(0.6)
    assert result["scorer2/min"] == pytest.approx(0.5)
    assert result["scorer2/max"] == pytest.approx(0.7)
    assert result["scorer2/median"] == pytest.approx(0.6)
    assert result["scorer2/variance"] == pytest.approx(0.00666666666)
    assert result["scorer2/p90"] == pytest.approx(0.68)


def test_compute_aggregated_metrics_custom_function(store_dir: Path) -> None:
    def custom_sum(x: list[float]) -> float:
        return sum(x)

    def custom_count(x: list[float]) -> float:
        return len(x)

    values = {"0": 0.8, "1": 0.9, "2": 0.7}

    class ByRow(Scorer):
        def __call__(self, outputs):
            return Feedback(name="scorer", value=values[outputs])

    scorer_ = ByRow(name="scorer", aggregations=["mean", custom_sum, custom_count])
    result = mlflow.genai.evaluate(data=ROWS[:3], scorers=[scorer_]).metrics

    assert result["scorer/mean"] == pytest.approx(0.8)
    assert result["scorer/custom_sum"] == pytest.approx(2.4)
    assert result["scorer/custom_count"] == pytest.approx(3)


def test_compute_aggregated_metrics_empty(store_dir: Path) -> None:
    @scorer(aggregations=["mean"])
    def abstains(outputs):
        return None

    assert mlflow.genai.evaluate(data=ROWS, scorers=[abstains]).metrics == {}


def test_compute_aggregated_metrics_with_namespace(store_dir: Path) -> None:
    values = {"0": 1.0, "1": 2.0}

    @scorer(name="scorer1", aggregations=["mean", "max"])
    def namespaced(outputs):
        return Feedback(name="foo/scorer1", value=values[outputs])

    result = mlflow.genai.evaluate(data=ROWS[:2], scorers=[namespaced]).metrics
    assert result["foo/scorer1/mean"] == pytest.approx(1.5)
    assert result["foo/scorer1/max"] == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("value", "expected_float"),
    [
        (5, 5.0),
        (3.14, 3.14),
        (True, 1.0),
        (False, 0.0),
        ("yes", 1.0),
        ("no", 0.0),
        # Case-insensitive
        ("Yes", 1.0),
        ("No", 0.0),
    ],
)
def test_cast_numeric_values(store_dir: Path, value: Any, expected_float: float) -> None:
    @scorer
    def test(outputs):
        return value

    metrics = mlflow.genai.evaluate(data=ROWS[:1], scorers=[test]).metrics
    assert metrics == {"test/mean": expected_float}


def test_non_aggregatable_strings_are_left_out(store_dir: Path) -> None:
    @scorer
    def quality(outputs):
        return "pass"

    assert mlflow.genai.evaluate(data=ROWS, scorers=[quality]).metrics == {}


def test_bools_and_yes_no_together_give_mlflows_mean(store_dir: Path) -> None:
    verdicts = {"0": True, "1": "yes", "2": "NO", "3": "unknown"}

    @scorer
    def mixed(outputs):
        return verdicts[outputs]

    @scorer(aggregations=["mean", "min", "max"])
    def mixed_feedback(outputs):
        return Feedback(value=verdicts[outputs], rationale="as judged")

    metrics = mlflow.genai.evaluate(data=ROWS, scorers=[mixed, mixed_feedback]).metrics
    # "unknown" is no verdict; the other three count 1, 1 and 0.
    assert metrics == {
        "mixed/mean": pytest.approx(2 / 3),
        "mixed_feedback/mean": pytest.approx(2 / 3),
        "mixed_feedback/min": 0.0,
        "mixed_feedback/max": 1.0,
    }


# -- "Simple values" ---------------------------------------------------------------------------


@scorer
def response_length(outputs: str) -> int:
    # Return a numeric metric
    return len(outputs.split())


@scorer
def contains_citation(outputs: str) -> str:
    # Return pass/fail string
    return "yes" if "[source]" in outputs else "no"


def test_simple_values_from_the_docs_aggregate(store_dir: Path) -> None:
    data = [
        {"inputs": {"q": "a"}, "outputs": "Paris is the capital [source]"},
        {"inputs": {"q": "b"}, "outputs": "About 195"},
        {"inputs": {"q": "c"}, "outputs": "It depends"},
        {"inputs": {"q": "d"}, "outputs": "See the manual [source]"},
    ]
    result = mlflow.genai.evaluate(data=data, scorers=[response_length, contains_citation])
    assert result.metrics == {"response_length/mean": 3.25, "contains_citation/mean": 0.5}
    assert list(result.result_df["contains_citation/value"]) == ["yes", "no", "no", "yes"]
