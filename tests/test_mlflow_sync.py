"""Traces from and to a real `mlflow server`: pull, score, push, read the feedback back through
MLflow's own client.

One server (sqlite backend, a free port) serves the whole module: it takes seconds to start.
MLflow records into it from a separate process (fixtures/mlflow_app.py: MLflow's tracing and
OpenAI autolog against the loopback OpenAI server), as a team's production app would. Each
test pulls into a store of its own, and tests that write to MLflow use an experiment of their own.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fixtures.mlflow_server import QUIET_MLFLOW, free_port, record_with_mlflow
from fixtures.mlflow_server import mlflow_server as start_mlflow_server
from fixtures.openai_server import LoopbackServer

import scorelens
from scorelens import tracking
from scorelens.cli.main import main
from scorelens.entities import AssessmentSource
from scorelens.mlflow_sync import list_experiments, pull, push
from tests.conftest import FIXTURES

SCORERS = str(FIXTURES / "scorers.py")
# Support traces pulled read-only; push writes feedback to its own experiment.
RECORDED = {"support": 4, "growing": 3, "push": 3}


@dataclass
class MlflowServer:
    uri: str
    database: Path
    openai_url: str

    @property
    def host(self) -> str:
        return self.uri.removeprefix("http://")

    def record(self, *plans: str) -> dict[str, list[str]]:
        """Trace ids MLflow recorded, by experiment, for plans like "support:4"."""
        return record_with_mlflow(self.uri, list(plans), self.openai_url)


@pytest.fixture(scope="module")
def mlflow_server(
    tmp_path_factory: pytest.TempPathFactory, openai_server: LoopbackServer
) -> Iterator[MlflowServer]:
    folder = tmp_path_factory.mktemp("mlflow-server")
    with start_mlflow_server(folder) as uri, pytest.MonkeyPatch.context() as patch:
        for key, value in QUIET_MLFLOW.items():
            patch.setenv(key, value)
        yield MlflowServer(uri, folder / "mlflow.db", openai_server.base_url)


@pytest.fixture(scope="module")
def recorded(mlflow_server: MlflowServer) -> dict[str, list[str]]:
    return mlflow_server.record(*(f"{name}:{count}" for name, count in RECORDED.items()))


def mlflow_client(uri: str) -> Any:
    import mlflow

    return mlflow.MlflowClient(tracking_uri=uri)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def pulled_run(out: str) -> str:
    match = re.search(r"Pulled \d+ new traces into run (\w+) ", out)
    assert match, out
    return match.group(1)


def test_pull_copies_traces_with_their_ids_spans_tags_metadata_and_assessments(
    store_dir: Path,
    mlflow_server: MlflowServer,
    recorded: dict[str, list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = cli(
        capsys, "mlflow", "pull", "--tracking-uri", mlflow_server.uri, "--experiment", "support"
    )
    assert status == 0, err
    run_id = pulled_run(out)
    assert f"Pulled 4 new traces into run {run_id} (mlflow support @ {mlflow_server.host}; " in out
    assert "4 in all" in out

    (run,) = tracking.get_store().list_runs()
    assert (run["run_id"], run["name"]) == (run_id, f"mlflow support @ {mlflow_server.host}")
    local = {t.trace_id: t for t in scorelens.search_traces(run_id=run_id, return_type="list")}
    assert set(local) == set(recorded["support"])

    client = mlflow_client(mlflow_server.uri)
    for trace_id in recorded["support"]:
        theirs, ours = client.get_trace(trace_id), local[trace_id]
        assert ours.info.request_time == theirs.info.request_time
        assert ours.info.execution_duration == theirs.info.execution_duration
        assert str(ours.info.state) == str(theirs.info.state)
        assert ours.info.tags == theirs.info.tags
        assert ours.info.tags["row"] == str(recorded["support"].index(trace_id))
        # The local run is the trace's run now; every other metadata entry is MLflow's.
        assert ours.info.trace_metadata.pop("mlflow.sourceRun") == run_id
        assert ours.info.trace_metadata == theirs.info.trace_metadata
        assert ours.info.token_usage == theirs.info.token_usage
        assert [(s.span_id, s.parent_id, s.name, s.span_type) for s in ours.spans] == [
            (s.span_id, s.parent_id, s.name, s.span_type) for s in theirs.data.spans
        ]
        assert [(s.inputs, s.outputs) for s in ours.spans] == [
            (s.inputs, s.outputs) for s in theirs.data.spans
        ]
        assert [s.span_type for s in ours.spans] == ["UNKNOWN", "CHAT_MODEL"]
        assert sorted(
            (a.assessment_id, a.name, a.value, a.source.source_type, a.source.source_id)
            for a in ours.info.assessments
        ) == sorted(
            (a.assessment_id, a.name, a.value, a.source.source_type, a.source.source_id)
            for a in theirs.info.assessments
        )

    first, second = (local[t] for t in recorded["support"][:2])
    (expectation,) = first.search_assessments(type="expectation")
    assert (expectation.name, expectation.value) == ("expected_facts", ["$89", "$249"])
    (tone,) = second.search_assessments("tone")
    assert (tone.value, tone.rationale, tone.source) == (
        "friendly",
        "greets the customer",
        AssessmentSource("HUMAN", "bob"),
    )


def test_pulling_again_fetches_only_what_is_new(
    store_dir: Path, mlflow_server: MlflowServer, recorded: dict[str, list[str]]
) -> None:
    uri, ids = mlflow_server.uri, recorded["growing"]
    only_row_1 = pull(uri, experiment_name="growing", filter_string="tags.row = '1'")
    assert (only_row_1.new_traces, only_row_1.total_traces) == (1, 1)
    # The newest first, so --max brings the latest traces; a cut-short pull leaves the rest.
    newest = pull(uri, experiment_name="growing", max_results=1)
    assert newest.run_id == only_row_1.run_id
    assert (newest.new_traces, newest.total_traces) == (1, 2)
    rest = pull(uri, experiment_name="growing")
    assert (rest.new_traces, rest.total_traces) == (1, 3)
    assert pull(uri, experiment_name="growing").new_traces == 0

    added = mlflow_server.record("growing:1")["growing"]
    again = pull(uri, experiment_name="growing")
    assert (again.run_id, again.new_traces, again.total_traces) == (rest.run_id, 1, 4)
    stored = [t.trace_id for t in scorelens.search_traces(run_id=again.run_id, return_type="list")]
    assert sorted(stored) == sorted([*ids, *added])
    # Still one run for that source, reused by every pull.
    assert [r["name"] for r in tracking.get_store().list_runs()] == [
        f"mlflow growing @ {mlflow_server.host}"
    ]


def test_scores_push_as_mlflow_feedback_once_and_human_labels_as_human(
    store_dir: Path,
    mlflow_server: MlflowServer,
    recorded: dict[str, list[str]],
    openai_env: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri, ids = mlflow_server.uri, recorded["push"]
    run_id = pull(uri, experiment_name="push").run_id
    status, out, err = cli(capsys, "score", SCORERS, "--run", run_id)
    assert status == 0, err
    scoring_run = re.search(r"\(run (\w+)\)", out)
    assert scoring_run, out
    local = {t.trace_id: t for t in scorelens.search_traces(run_id=run_id, return_type="list")}
    # The expectation MLflow holds reached the scorer that needs it.
    (facts,) = local[ids[0]].search_assessments("mentions_expected_facts")
    assert isinstance(facts.value, bool)

    status, out, err = cli(capsys, "mlflow", "push", "--tracking-uri", uri)
    assert status == 0, err
    scorers = ["response_length", "mentions_expected_facts", "llm_tokens", "is_polite"]
    assert f"Pushed to {uri}: {4 * len(ids)} logged, 0 updated, 0 unchanged" in out

    client = mlflow_client(uri)

    def pushed(trace_id: str) -> list[Any]:
        return [
            a
            for a in client.get_trace(trace_id).info.assessments
            if "scorelens.assessment_id" in (a.metadata or {})
        ]

    for trace_id in ids:
        theirs = {a.name: a for a in pushed(trace_id)}
        assert sorted(theirs) == sorted(scorers)
        for name in scorers:
            (ours,) = local[trace_id].search_assessments(name)
            feedback = theirs[name]
            assert feedback.source.source_type == "CODE"
            assert feedback.value == ours.value
            assert feedback.rationale == ours.rationale
            assert feedback.metadata["scorelens.run_id"] == scoring_run.group(1)
            assert feedback.metadata["scorelens.assessment_id"] == ours.assessment_id
        assert theirs["response_length"].source.source_id == "response_length"

    again = push(uri)
    assert (again.logged, again.updated, again.unchanged) == (0, 0, 4 * len(ids))

    # A human's label goes as HUMAN feedback; what came from MLflow (bob's) is not sent back.
    scorelens.log_feedback(
        trace_id=ids[0], name="is_polite", value=True, source=AssessmentSource("HUMAN", "ana")
    )
    labelled = push(uri, run_id=run_id, scorers=["is_polite"])
    assert (labelled.logged, labelled.updated, labelled.unchanged) == (1, 0, len(ids))
    human = [a for a in pushed(ids[0]) if a.source.source_type == "HUMAN"]
    assert [(a.name, a.value, a.source.source_id) for a in human] == [("is_polite", True, "ana")]
    assert [a.name for a in client.get_trace(ids[1]).info.assessments].count("tone") == 1

    # Re-scoring makes new results: they replace the pushed ones, never add to them.
    status, _, err = cli(capsys, "score", SCORERS, "--run", run_id)
    assert status == 0, err
    rescored = push(uri, scorers=["response_length"])
    assert (rescored.logged, rescored.updated, rescored.unchanged) == (0, len(ids), 0)
    for trace_id in ids:
        names = [a.name for a in pushed(trace_id)]
        assert names.count("response_length") == 1
        assert names.count("is_polite") == (2 if trace_id == ids[0] else 1)


def test_a_sqlite_store_is_pulled_from_directly(
    store_dir: Path,
    mlflow_server: MlflowServer,
    recorded: dict[str, list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri = f"sqlite:///{mlflow_server.database}"
    assert ("0", "Default") in list_experiments(uri)
    assert {"support", "growing", "push"} <= {name for _, name in list_experiments(uri)}
    status, out, err = cli(
        capsys, "mlflow", "pull", "--tracking-uri", uri, "--experiment", "support"
    )
    assert status == 0, err
    assert "(mlflow support @ mlflow.db; 4 in all)" in out
    run_id = pulled_run(out)
    pulled = scorelens.search_traces(run_id=run_id, return_type="list")
    assert sorted(t.trace_id for t in pulled) == sorted(recorded["support"])


def test_mistakes_end_in_one_line_errors_and_leave_no_run(
    store_dir: Path,
    mlflow_server: MlflowServer,
    recorded: dict[str, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri = mlflow_server.uri
    nobody = f"http://127.0.0.1:{free_port()}"
    cases = [
        (
            ["pull", "--tracking-uri", nobody, "--experiment", "support"],
            f"cannot reach the MLflow tracking server at {nobody}: ",
        ),
        (
            ["pull", "--tracking-uri", uri, "--experiment", "no-such-experiment"],
            f"no experiment named 'no-such-experiment' at {uri}",
        ),
        (
            ["pull", "--tracking-uri", uri, "--experiment-id", "987654"],
            f"no experiment with id '987654' at {uri}: ",
        ),
        (
            ["pull", "--tracking-uri", uri, "--experiment", "support", "--filter", "tags.row ~ 1"],
            "bad filter 'tags.row ~ 1': ",
        ),
        (
            ["pull", "--tracking-uri", f"sqlite:///{tmp_path}/nothing.db", "--experiment", "x"],
            f"no MLflow database at {tmp_path}/nothing.db",
        ),
        (
            ["push", "--tracking-uri", uri],
            f"no traces were pulled from {uri}; run 'scorelens mlflow pull' first",
        ),
    ]
    for args, message in cases:
        status, out, err = cli(capsys, "mlflow", *args)
        assert status == 1, (args, out)
        assert err.startswith(f"scorelens: error: {message}"), err
        assert err.count("\n") == 1, err
    assert tracking.get_store().list_runs() == []


def test_without_mlflow_the_command_says_how_to_install_it(tmp_path: Path) -> None:
    # None in sys.modules makes `import mlflow` fail, as it does where MLflow is not installed.
    program = (
        "import sys; sys.modules['mlflow'] = None; from scorelens.cli.main import main; "
        "sys.exit(main(['mlflow', 'pull', '--tracking-uri', 'http://127.0.0.1:9', "
        "'--experiment', 'x']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "scorelens: error: MLflow is not installed; "
        'install it with: pip install "scorelens[mlflow]"\n'
    )
