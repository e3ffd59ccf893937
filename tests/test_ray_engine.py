"""Scoring on Ray: a real local Ray with two CPUs, started once for this module; results are
those of the local engine on the same stored traces."""

from __future__ import annotations

import importlib
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from fixtures.openai_server import LoopbackServer
from fixtures.scorers import is_polite

import scorelens
from scorelens.cli.main import main
from scorelens.entities import Trace
from scorelens.genai import evaluate, scorer, set_label
from scorelens.genai.evaluation import EvaluationResult, generate_traces
from tests.conftest import FIXTURES, assert_one_line_error, run_cli

SCORERS = """
from scorelens.entities import Feedback
from scorelens.genai.scorers import scorer


@scorer(aggregations=["mean", "min", "max", "median", "variance", "p90"])
def root_of_length(outputs):
    # Floats whose mean depends on the order they are summed in.
    return (len(outputs) / 7) ** 0.5


@scorer
def refuses_sevens(inputs):
    if "7" in inputs["question"]:
        raise ValueError("no sevens here")
    return True


@scorer
def as_expected(outputs, expectations):
    wanted = (expectations or {}).get("answer")
    return Feedback(value=outputs == wanted, rationale=f"expected {wanted!r}")


@scorer
def labels_seen(trace):
    return sum(a.source.source_type == "HUMAN" for a in trace.info.assessments)
"""


@pytest.fixture(scope="module")
def ray_cluster(openai_server: LoopbackServer) -> Iterator[None]:
    """A local Ray of two CPUs whose workers ask the loopback server, as a cluster would be
    configured with its model endpoint."""
    import ray

    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        runtime_env={
            "env_vars": {
                "OPENAI_BASE_URL": openai_server.base_url,
                "OPENAI_API_KEY": "sk-loopback-test-key",
            }
        },
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def scorers_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("scorer_file")
    (folder / "ray_engine_scorers.py").write_text(SCORERS)
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("ray_engine_scorers")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("ray_engine_scorers", None)


@scorelens.trace
def answer(question: str) -> str:
    return "please hold" if "9" in question else f"the answer to {question}"


def record(store_dir: Path) -> pd.DataFrame:
    """Traces in three groups of one or more segments: two runs (1,200 and 300 rows, the first
    written as a batch of 1,000 then one of 200) and traces recorded outside any run, flushed
    twice. A few carry human labels. Returns them as `search_traces` does."""
    for count in (1200, 300):
        rows = [
            {"inputs": {"question": f"q{i}"}, "expectations": {"answer": f"the answer to q{i}"}}
            for i in range(count)
        ]
        rows[3]["expectations"] = {"answer": "something else"}
        generate_traces(rows, answer)
    for start in (0, 40):
        for i in range(start, start + 40):
            answer(f"loose {i}")
        scorelens.flush_traces()
    frame = scorelens.search_traces(locations=["0"])
    for trace_id in frame["trace_id"][:5]:
        set_label(trace_id, "as_expected", True, user="ana")
    # How the exporter batches the loose traces depends on timing; the runs' batches do not.
    segments = [p for p in (store_dir / "traces").rglob("*.json")]
    assert len({p.parent for p in segments}) == 3 and len(segments) >= 4
    return scorelens.search_traces(locations=["0"])


def stored_feedback(result: EvaluationResult) -> dict[str, list[tuple[Any, ...]]]:
    """Per trace, what the store now holds of this run's feedback."""
    held: dict[str, list[tuple[Any, ...]]] = {}
    for trace in scorelens.search_traces(locations=["0"], return_type="list"):
        for a in trace.info.assessments:
            if a.run_id == result.run_id:
                message = None if a.error is None else a.error.error_message
                held.setdefault(trace.trace_id, []).append((a.name, a.value, a.rationale, message))
    return held


def test_ray_scores_as_the_local_engine_does(
    ray_cluster: None, store_dir: Path, scorers_module: ModuleType
) -> None:
    frame = record(store_dir)
    scorers = [
        scorers_module.root_of_length,
        scorers_module.refuses_sevens,
        scorers_module.as_expected,
        scorers_module.labels_seen,
    ]
    local = evaluate(frame, scorers=scorers)
    local_stored = stored_feedback(local)
    on_ray = evaluate(frame, scorers=scorers, engine="ray")
    assert on_ray.run_id != local.run_id

    assert on_ray.metrics == local.metrics
    assert "as_expected/agreement" in local.metrics  # the labels were read
    assert local.metrics["labels_seen/mean"] > 0
    assert stored_feedback(on_ray) == local_stored
    assert len(local_stored) == len(frame) == 1580

    mine, theirs = on_ray.result_df, local.result_df
    assert list(mine.columns) == list(theirs.columns)
    # The assessments themselves differ in their ids, times and run.
    same = [c for c in theirs.columns if c not in ("trace", "assessments")]
    pd.testing.assert_frame_equal(mine[same], theirs[same])
    errors = theirs["refuses_sevens/error_message"]
    assert 0 < errors.notna().sum() < len(theirs)
    assert set(errors.dropna()) == {"no sevens here"}


def test_expectations_given_with_a_row_are_the_ones_scored(
    ray_cluster: None, store_dir: Path, scorers_module: ModuleType
) -> None:
    generate_traces([{"inputs": {"question": f"q{i}"}} for i in range(20)], answer)
    traces: list[Trace] = scorelens.search_traces(return_type="list")
    # Every other row says what its answer should be; the stored traces expect nothing.
    data: list[Any] = [
        {"trace": t, "expectations": {"answer": t.outputs}} if i % 2 else t
        for i, t in enumerate(traces)
    ]
    local = evaluate(data, scorers=[scorers_module.as_expected])
    on_ray = evaluate(data, scorers=[scorers_module.as_expected], engine="ray")
    assert local.metrics == on_ray.metrics == {"as_expected/mean": 0.5}
    values = on_ray.result_df["as_expected/value"]
    assert list(values) == list(local.result_df["as_expected/value"])


def test_judge_answers_are_shared_by_every_worker_through_the_store(
    ray_cluster: None, store_dir: Path, openai_server: LoopbackServer, openai_env: str
) -> None:
    questions = [f"question {i}" for i in range(60)]
    generate_traces([{"inputs": {"question": q}} for q in questions[:30]], answer)
    generate_traces([{"inputs": {"question": q}} for q in questions[30:]], answer)
    frame = scorelens.search_traces(locations=["0"])
    answers = set(frame["response"])
    assert 1 < len(answers) < 60  # one answer is in both runs, so on both workers

    before = openai_server.model_calls
    first = evaluate(frame, scorers=[is_polite], engine="ray")
    # Each worker may ask the shared answer before the other has stored it.
    assert len(answers) <= openai_server.model_calls - before <= len(answers) + 1

    before = openai_server.model_calls
    again = evaluate(frame, scorers=[is_polite], engine="ray")
    local = evaluate(frame, scorers=[is_polite])
    assert openai_server.model_calls == before
    assert first.metrics == again.metrics == local.metrics
    assert 0 < local.metrics["is_polite/mean"] < 1
    values = local.result_df["is_polite/value"]
    assert list(again.result_df["is_polite/value"]) == list(values)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_score_on_ray_prints_what_a_local_run_prints(
    ray_cluster: None,
    store_dir: Path,
    scorers_module: ModuleType,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record(store_dir)
    assert scorers_module.__file__ is not None
    command = ["--tracking-uri", str(store_dir), "score", scorers_module.__file__, "--all"]
    local = cli(capsys, *command, "--rows")
    on_ray = cli(capsys, *command, "--rows", "--engine", "ray")

    # The first line differs only in the run and the time taken.
    first, *rest = on_ray.splitlines()
    assert first.startswith("Scored 1580 traces from all traces in ")
    assert rest == local.splitlines()[1:]
    assert sum(line.startswith("tr-") for line in rest) == 1580
    assert "ERROR" in on_ray and "agreement" in on_ray


def test_score_on_ray_answers_a_judge_from_the_cache(
    ray_cluster: None,
    store_dir: Path,
    openai_server: LoopbackServer,
    openai_env: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 30 answers, each different, one of them polite.
    questions = [f"q{i}" for i in range(40) if i == 9 or "9" not in str(i)][:30]
    generate_traces([{"inputs": {"question": q}} for q in questions], answer)
    command = ["--tracking-uri", str(store_dir), "score", str(FIXTURES / "scorers.py")]
    before = openai_server.model_calls
    cold = cli(capsys, *command, "--engine", "ray")
    assert openai_server.model_calls - before == 30
    before = openai_server.model_calls
    warm = cli(capsys, *command, "--engine", "ray")
    assert openai_server.model_calls == before
    assert re.search(r"^is_polite\s+1/30 pass\s+30\s+0$", warm, re.MULTILINE), warm
    assert re.search(r"^is_polite\s+30\s+30\s", cold, re.MULTILINE), cold
    assert re.search(r"^is_polite\s+30\s+0\s", warm, re.MULTILINE), warm


def test_an_unreachable_cluster_is_a_one_line_error(
    store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_traces([{"inputs": {"question": "q"}}], answer)
    result = run_cli(
        "--tracking-uri",
        str(store_dir),
        "score",
        str(FIXTURES / "scorers.py"),
        "--engine",
        "ray",
        "--ray-address",
        "127.0.0.1:1",
        cwd=tmp_path,
    )
    assert_one_line_error(result, "cannot reach a Ray cluster at 127.0.0.1:1")
    # No run was recorded (only the one that generated the trace): the cluster is checked
    # before a run starts.
    runs = cli(capsys, "--tracking-uri", str(store_dir), "runs").splitlines()
    assert len(runs) == 3  # header, rule, the generating run


def test_ray_runs_no_app(ray_cluster: None, store_dir: Path, scorers_module: ModuleType) -> None:
    with pytest.raises(ValueError, match="engine='ray' re-scores stored traces and cannot run"):
        evaluate(
            [{"inputs": {"question": "q"}}],
            scorers=[scorers_module.root_of_length],
            predict_fn=answer,
            engine="ray",
        )


def test_a_scorer_made_outside_any_file_cannot_be_sent(ray_cluster: None, store_dir: Path) -> None:
    made_here = scorer(name="made_here")(lambda outputs: len(outputs))
    with pytest.raises(ValueError, match="scorer 'made_here' cannot run on Ray: no imported file"):
        evaluate([{"inputs": {}, "outputs": "x"}], scorers=[made_here], engine="ray")


IN_MAIN = """
from scorelens.genai import evaluate, scorer

@scorer
def in_main(outputs):
    return len(outputs)

evaluate([{"inputs": {}, "outputs": "x"}], scorers=[in_main], engine="ray")
"""


def test_a_scorer_of_a_notebook_or_script_cannot_be_sent(tmp_path: Path) -> None:
    # `python -c` runs its code as __main__, as a notebook does; no Ray is started for it.
    result = subprocess.run(
        [sys.executable, "-c", IN_MAIN],
        cwd=tmp_path,
        env={**os.environ, "SCORELENS_TRACKING_URI": str(tmp_path / "store")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "scorer 'in_main' cannot run on Ray: it is defined in __main__" in result.stderr
    assert not (tmp_path / "store").exists()


def test_traces_that_are_not_in_the_store_are_refused(
    ray_cluster: None, store_dir: Path, scorers_module: ModuleType, tmp_path: Path
) -> None:
    generate_traces([{"inputs": {"question": "q1"}}], answer)
    elsewhere: list[Trace] = scorelens.search_traces(return_type="list")
    scorelens.set_tracking_uri(tmp_path / "another store")
    with pytest.raises(ValueError, match="1 of the rows' traces are not in the store at"):
        evaluate(elsewhere, scorers=[scorers_module.root_of_length], engine="ray")
