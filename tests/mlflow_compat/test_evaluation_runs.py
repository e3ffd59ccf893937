"""The traces of an evaluation run: what `search_traces(run_id=...)` gives after re-scoring.

Source: MLflow's "develop code-based scorers" workflow (generate traces once, then
`evaluate(data=mlflow.search_traces(run_id=...), scorers=[...])`), and its code-based scorer
examples that read the evaluation run's traces back. On MLflow 3.17.2 (sqlite store) the
evaluation run of stored traces returns those same traces, each carrying the new assessment, and
a trace recorded outside any run is found under the evaluation run that scored it.
"""

# mypy: disable-error-code="no-untyped-def, no-untyped-call"
from __future__ import annotations

from pathlib import Path

import scorelens as mlflow
from scorelens.genai.scorers import scorer


@mlflow.trace
def app(question):
    return f"Answer to: {question}"


@scorer
def placeholder_metric() -> int:
    return 1


@scorer
def length(outputs) -> int:
    return len(outputs)


def test_an_evaluation_of_stored_traces_has_those_traces(store_dir: Path) -> None:
    gen = mlflow.genai.evaluate(
        data=[{"inputs": {"question": q}} for q in ["a", "bb", "ccc"]],
        predict_fn=app,
        scorers=[placeholder_metric],
    )
    traces = mlflow.search_traces(run_id=gen.run_id)
    ev = mlflow.genai.evaluate(data=traces, scorers=[length])

    found = mlflow.search_traces(run_id=ev.run_id)
    assert sorted(found.trace_id) == sorted(traces.trace_id)
    assert [sorted(a["assessment_name"] for a in row) for row in found["assessments"]] == [
        ["length", "placeholder_metric"]
    ] * 3
    # The generating run still has just its own traces.
    assert sorted(mlflow.search_traces(run_id=gen.run_id).trace_id) == sorted(traces.trace_id)


def test_a_trace_recorded_outside_any_run_is_found_under_the_run_that_scored_it(
    store_dir: Path,
) -> None:
    app("outside")
    app("also outside")
    mlflow.flush_traces()
    (outside,) = mlflow.search_traces(max_results=1, return_type="list")
    ev = mlflow.genai.evaluate(data=[outside], scorers=[length])

    (found,) = mlflow.search_traces(run_id=ev.run_id, return_type="list")
    assert found.info.trace_id == outside.info.trace_id
    assert [a.name for a in found.info.assessments] == ["length"]
