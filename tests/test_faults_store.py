"""The store in a damaged or interrupted workspace: killed writers, bad files, a lost index."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import scorelens
from scorelens.genai import evaluate
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.scorers import scorer
from scorelens.store import StoreCorruptError, StoreError, TraceStore
from tests.conftest import run_cli
from tests.test_store import echo, generate, length

# -- shared pieces ----------------------------------------------------------------------------

APP = """
import os
import time

import scorelens

_real_replace = os.replace
_segments = 0


def _replace(src, dst):
    # Stands in for a crash while a big batch of traces is being written: with STALL_MARKER
    # set, the run's second trace segment is never renamed into place.
    global _segments
    if os.environ.get("STALL_MARKER") and f"{os.sep}traces{os.sep}" in os.fspath(dst):
        _segments += 1
        if _segments == 2:
            open(os.environ["STALL_MARKER"], "w").close()
            time.sleep(600)
    _real_replace(src, dst)


os.replace = _replace


@scorelens.trace
def quick(question: str) -> str:
    return question.upper()


@scorelens.trace
def slow(question: str) -> str:
    with open(os.environ["PROGRESS_FILE"], "a") as progress:
        progress.write(question + "\\n")
    time.sleep(0.05)
    return question.upper()
"""

SCORERS = """
from scorelens.genai.scorers import scorer


@scorer
def length(outputs):
    return len(outputs or "")
"""


def write_dataset(path: Path, rows: int) -> Path:
    path.write_text(
        "".join(json.dumps({"inputs": {"question": f"q{i}"}}) + "\n" for i in range(rows))
    )
    return path


def start_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scorelens", *args],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Any, proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the writer ended before {what}: {proc.communicate()[1]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(".tmp-*") if p.is_file()]


def status(store_dir: Path, run_id: str) -> str:
    run = TraceStore(store_dir).get_run(run_id)
    assert run is not None
    return str(run["status"])


def default_run(store_dir: Path) -> str | None:
    run = TraceStore(store_dir).latest_run_with_traces()
    return None if run is None else str(run["run_id"])


def run_line(runs_output: str, run_id: str) -> str:
    return next(line for line in runs_output.splitlines() if line.startswith(run_id))


# -- item 2: interrupted runs -----------------------------------------------------------------


def test_a_killed_writer_reads_as_killed_is_not_the_default_and_leaves_no_temp_file(
    store_dir: Path, tmp_path: Path
) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    (tmp_path / "scorers.py").write_text(SCORERS)
    uri = ["--tracking-uri", str(store_dir)]
    done = run_cli(
        *uri,
        "generate",
        "--dataset",
        str(write_dataset(tmp_path / "small.jsonl", 3)),
        "--app",
        f"{app}:quick",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    finished = TraceStore(store_dir).list_runs()[0]["run_id"]

    marker = tmp_path / "stalled"
    writer = start_cli(
        *uri,
        "generate",
        "--dataset",
        str(write_dataset(tmp_path / "big.jsonl", 3000)),
        "--app",
        f"{app}:quick",
        cwd=tmp_path,
        env={"STALL_MARKER": str(marker)},
    )
    wait_for(marker.exists, writer, "the second segment write")
    store = TraceStore(store_dir)
    killed = store.list_runs()[0]["run_id"]
    assert killed != finished
    # While its writer lives, the run is RUNNING and, having traces, is the default.
    assert status(store_dir, killed) == "RUNNING"
    assert default_run(store_dir) == killed
    assert temp_files(store_dir / "traces" / killed)

    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=60)

    runs = run_cli(*uri, "runs", cwd=tmp_path)
    assert runs.returncode == 0, runs.stderr
    assert " KILLED " in run_line(runs.stdout, killed)
    assert " FINISHED " in run_line(runs.stdout, finished)
    assert status(store_dir, killed) == "KILLED"
    assert [r["status"] for r in TraceStore(store_dir).list_runs()] == ["KILLED", "FINISHED"]
    assert default_run(store_dir) == finished
    # The traces it wrote before dying are still there to look at.
    assert len(scorelens.search_traces(run_id=killed)) > 0

    scored = run_cli(*uri, "score", str(tmp_path / "scorers.py"), cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert f"from run {finished}" in scored.stdout
    # Any later writer clears what dead writers left behind.
    assert temp_files(store_dir) == []
    assert status(store_dir, killed) == "KILLED"


def test_sigterm_ends_a_run_like_ctrl_c_keeping_the_finished_rows(
    store_dir: Path, tmp_path: Path
) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    progress = tmp_path / "progress.txt"
    progress.touch()
    writer = start_cli(
        "--tracking-uri",
        str(store_dir),
        "generate",
        "--dataset",
        str(write_dataset(tmp_path / "data.jsonl", 400)),
        "--app",
        f"{app}:slow",
        cwd=tmp_path,
        env={"PROGRESS_FILE": str(progress)},
    )
    wait_for(lambda: len(progress.read_text().splitlines()) >= 10, writer, "ten rows")
    writer.send_signal(signal.SIGTERM)
    _, err = writer.communicate(timeout=60)
    assert writer.returncode != 0
    assert "Traceback" not in err

    started = len(progress.read_text().splitlines())
    assert started < 400
    (run,) = TraceStore(store_dir).list_runs()
    assert run["status"] == "FAILED"
    assert run["end_time"] is not None
    kept = scorelens.search_traces(run_id=run["run_id"])
    # Every row that finished is kept; the one the signal interrupted may be missing.
    assert started - 1 <= len(kept) <= started
    assert run["trace_count"] == len(kept)
    runs = run_cli("--tracking-uri", str(store_dir), "runs", cwd=tmp_path)
    assert " FAILED " in run_line(runs.stdout, run["run_id"])
    assert temp_files(store_dir) == []


# -- item 3: trace files of the wrong shape ---------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        {"traces": {"1": {"spans": []}}},
        {"traces": {"1": {"info": "not an object"}}},
        {"traces": {"1": {"info": {"run_id": None}}}},
        {"traces": {"1": {"info": {"trace_id": "tr-1"}, "spans": [5]}}},
        {"traces": {"1": ["not", "a", "document"]}},
        {"traces": {"first": {"info": {"trace_id": "tr-1"}}}},
    ],
    ids=["no-info", "info-not-object", "no-trace-id", "span-not-object", "list", "bad-doc-id"],
)
def test_a_trace_file_of_the_wrong_shape_is_reported_as_corrupt(
    store_dir: Path, content: dict[str, Any]
) -> None:
    run_id = generate(2)
    (segment,) = (store_dir / "traces" / run_id).iterdir()
    segment.write_text(json.dumps(content))
    damaged = segment.read_bytes()
    with pytest.raises(StoreCorruptError, match=re.escape(str(segment))):
        scorelens.search_traces(run_id=run_id)
    result = run_cli("--tracking-uri", str(store_dir), "traces", cwd=store_dir.parent)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("scorelens: error: store file ")
    assert str(segment) in result.stderr
    assert segment.read_bytes() == damaged


def test_an_assessments_file_of_the_wrong_shape_is_reported_as_corrupt(store_dir: Path) -> None:
    run_id = generate(2)
    evaluate(scorelens.search_traces(run_id=run_id), scorers=[length])
    assessments = store_dir / "assessments" / f"{run_id}.json"
    assessments.write_text(json.dumps({"assessments": {"1": {"feedback": {}}}}))
    with pytest.raises(StoreCorruptError, match=re.escape(str(assessments))):
        scorelens.search_traces(run_id=run_id)


def test_an_index_of_the_wrong_shape_is_reported_as_corrupt(store_dir: Path) -> None:
    generate(1)
    index = store_dir / "index.json"
    tables = json.loads(index.read_text())
    for run in tables["runs"].values():
        del run["start_time"]
    index.write_text(json.dumps(tables))
    result = run_cli("--tracking-uri", str(store_dir), "runs", cwd=store_dir.parent)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert str(index) in result.stderr and "start_time" in result.stderr


def test_a_traces_folder_that_is_a_file_is_reported_not_taken_for_an_empty_store(
    store_dir: Path,
) -> None:
    run_id = generate(1)
    segments = store_dir / "traces"
    for segment in (segments / run_id).iterdir():
        segment.unlink()
    (segments / run_id).rmdir()
    segments.rmdir()
    segments.write_text("not a folder")
    with pytest.raises(StoreError, match=re.escape(str(segments))):
        scorelens.search_traces()
    result = run_cli("--tracking-uri", str(store_dir), "traces", cwd=store_dir.parent)
    assert result.returncode == 1
    assert "No traces." not in result.stdout
    assert str(segments) in result.stderr


# -- item 4: a deleted index ------------------------------------------------------------------


def test_a_deleted_index_is_reported_and_rebuilt_from_the_trace_files(store_dir: Path) -> None:
    first = generate(3)
    other_experiment = scorelens.set_experiment("other")
    second = generate(2)
    scorelens.set_experiment("Default")
    echo("outside any run")
    scorelens.flush_traces()
    index = store_dir / "index.json"
    index.unlink()

    listed = run_cli("--tracking-uri", str(store_dir), "runs", cwd=store_dir.parent)
    assert "No runs yet." not in listed.stdout
    assert listed.returncode == 1
    assert listed.stderr.count("\n") == 1, listed.stderr
    assert "index.json is missing" in listed.stderr
    assert "scorelens doctor --rebuild" in listed.stderr

    store = TraceStore(store_dir)
    assert store.index_missing()
    with pytest.raises(StoreCorruptError, match=r"index\.json is missing.*doctor --rebuild"):
        store.list_runs()
    # Nothing may write a fresh index over the lost one: the runs would stay lost.
    with pytest.raises(StoreCorruptError, match=r"index\.json is missing"):
        generate(1)
    assert not index.exists()

    assert store.rebuild_index() == 2
    assert not store.index_missing()
    json.loads(index.read_text())
    runs = {r["run_id"]: r for r in store.list_runs()}
    assert set(runs) == {first, second}
    assert (runs[first]["trace_count"], runs[first]["experiment_id"]) == (3, "0")
    assert (runs[second]["trace_count"], runs[second]["experiment_id"]) == (2, other_experiment)
    assert other_experiment in {e["experiment_id"] for e in store.list_experiments()}
    assert default_run(store_dir) == second
    assert sorted(scorelens.search_traces(run_id=first)["outputs"]) == ["00", "11", "22"]
    assert len(scorelens.search_traces()) == 4  # the run's three and the one outside runs

    listed = run_cli("--tracking-uri", str(store_dir), "runs", cwd=store_dir.parent)
    assert listed.returncode == 0, listed.stderr
    assert first in listed.stdout
    assert store.rebuild_index() == 0


def test_a_store_with_only_traces_outside_runs_needs_no_index(store_dir: Path) -> None:
    echo("loose")
    scorelens.flush_traces()
    store = TraceStore(store_dir)
    assert not store.index_missing()
    listed = run_cli("--tracking-uri", str(store_dir), "runs", cwd=store_dir.parent)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "No runs yet."


# -- item 5: NaN --------------------------------------------------------------------------------


def strict_json(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


@scorer
def not_a_number(outputs: str) -> float:
    return float("nan")


@scorer
def unbounded(outputs: str) -> float:
    return float("-inf")


def test_non_finite_values_are_stored_as_json_null_and_read_back_as_none(
    store_dir: Path,
) -> None:
    run_id = generate_traces(
        [{"inputs": {"text": "a"}, "expectations": {"score": float("nan")}}], echo
    ).run_id
    traces = scorelens.search_traces(run_id=run_id)
    evaluate(traces, scorers=[not_a_number, unbounded])
    for path in store_dir.rglob("*.json"):
        strict_json(path.read_text())
    (trace,) = scorelens.search_traces(run_id=run_id, return_type="list")
    items = trace.info.assessments
    assert {f.name: f.value for f in items} == {"not_a_number": None, "unbounded": None}
    trace.info.expectations = {"score": float("nan")}
    assert strict_json(trace.to_json()) == strict_json(trace.to_json(pretty=True))


@pytest.mark.parametrize("value", ["answer", 7], ids=["text", "number"])
def test_missing_outputs_of_error_traces_are_none_not_nan(store_dir: Path, value: Any) -> None:
    @scorelens.trace
    def flaky(text: str) -> Any:
        if text == "bad":
            raise RuntimeError("the model is down")
        return value

    run_id = generate_traces(
        [{"inputs": {"text": t}} for t in ("good", "bad", "good")], flaky
    ).run_id
    frame = scorelens.search_traces(run_id=run_id)
    failed = frame[frame["state"] == "ERROR"]
    assert len(failed) == 1
    for column in ("outputs", "response"):
        assert failed[column].iloc[0] is None
        assert sorted(v for v in frame[column] if v is not None) == [value, value]
    listed = run_cli("--tracking-uri", str(store_dir), "traces", cwd=store_dir.parent)
    assert listed.returncode == 0, listed.stderr
    assert "nan" not in listed.stdout.lower()
