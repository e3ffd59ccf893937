"""`scorelens` in an untidy workspace: odd files, closed pipes, failed rows, lost index."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import scorelens
from scorelens.genai import evaluate
from tests.conftest import assert_one_line_error, run_cli

ECHO_APP = "def echo(question):\n    return question\n"
FLAKY_APP = (
    "def answer(question):\n"
    "    if question.startswith('fail'):\n"
    "        raise RuntimeError('model unavailable for ' + question)\n"
    "    return question.upper()\n"
)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """A workspace whose default store (`./.scorelens`) is also current in this process."""
    work = tmp_path / "work"
    work.mkdir()
    scorelens.set_tracking_uri(work / ".scorelens")
    scorelens.set_experiment("Default")
    yield work
    scorelens.flush_traces()


def generate(workdir: Path, rows: str, app: str = FLAKY_APP, name: str = "data.jsonl") -> str:
    (workdir / name).write_text(rows)
    (workdir / "app.py").write_text(app)
    result = run_cli("generate", "--dataset", name, "--app", "app.py:answer", cwd=workdir)
    assert result.returncode == 0, result.stderr
    match = re.search(r"in run (\w+)", result.stdout)
    assert match, result.stdout
    return match.group(1)


# -- CSV cells holding newlines ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("newline", "encoding"),
    [("\n", "utf-8"), ("\r\n", "utf-8"), ("\n", "utf-8-sig")],
    ids=["lf", "crlf", "excel-bom"],
)
def test_a_quoted_newline_in_a_csv_cell_is_kept(workdir: Path, newline: str, encoding: str) -> None:
    lines = [
        "inputs.question,expectations.expected",
        f'"line1{newline}line2",plain',
        f'single,"two{newline}lines"',
    ]
    (workdir / "data.csv").write_bytes(newline.join(lines).encode(encoding) + newline.encode())
    (workdir / "app.py").write_text(ECHO_APP)
    result = run_cli("generate", "--dataset", "data.csv", "--app", "app.py:echo", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "Generated 2 traces" in result.stdout
    frame = scorelens.search_traces()
    got = sorted(zip(frame["outputs"], [e["expected"] for e in frame["expectations"]], strict=True))
    # Inside a quoted cell, CSV keeps the line break as written, CRLF included.
    assert got == sorted([(f"line1{newline}line2", "plain"), ("single", f"two{newline}lines")])


# -- closed pipes and unreadable inputs --------------------------------------------------------


def test_traces_into_a_pipe_closed_early_exits_quietly(workdir: Path) -> None:
    # Far more output than a pipe buffers, so the writer is still writing when the reader leaves.
    rows = [{"inputs": {"q": f"question {i}"}, "outputs": "answer " * 20} for i in range(4000)]
    evaluate(rows, scorers=[])
    process = subprocess.Popen(
        [sys.executable, "-m", "scorelens", "traces"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    head = [process.stdout.readline() for _ in range(3)]
    process.stdout.close()  # what `| head -3` does once it has its lines
    stderr = process.stderr.read()
    returncode = process.wait(timeout=60)
    assert head[0].startswith("trace") and head[2].startswith("tr-")
    assert stderr == ""
    assert returncode == 1


@pytest.mark.parametrize("name", ["data.json", "datasets"])
def test_a_dataset_that_is_a_folder_is_a_one_line_error(workdir: Path, name: str) -> None:
    (workdir / name).mkdir()
    (workdir / "app.py").write_text(ECHO_APP)
    result = run_cli("generate", "--dataset", name, "--app", "app.py:echo", cwd=workdir)
    assert_one_line_error(result, name, "is a directory")


@pytest.mark.parametrize(
    "command",
    [["score", "scorers.py"], ["generate", "--dataset", "data.jsonl", "--app", "scorers.py:f"]],
    ids=["score", "generate"],
)
def test_python_files_that_are_folders_are_one_line_errors(
    workdir: Path, command: list[str]
) -> None:
    (workdir / "scorers.py").mkdir()
    (workdir / "data.jsonl").write_text('{"inputs": {"question": "a"}}\n')
    result = run_cli(*command, cwd=workdir)
    assert_one_line_error(result, "scorers.py: is a directory")


def test_a_store_path_that_is_a_file_is_a_one_line_error(workdir: Path) -> None:
    (workdir / "notes.txt").write_text("not a store\n")
    for command in (["runs"], ["traces"], ["doctor"]):
        result = run_cli("--tracking-uri", "notes.txt", *command, cwd=workdir)
        assert_one_line_error(result, "notes.txt")


# -- generate with failed rows -----------------------------------------------------------------


def test_generate_exits_non_zero_when_any_row_failed(workdir: Path) -> None:
    (workdir / "data.jsonl").write_text(
        '{"inputs": {"question": "ok"}}\n'
        '{"inputs": {"question": "fail one"}}\n'
        '{"inputs": {"question": "fail two"}}\n'
    )
    (workdir / "app.py").write_text(FLAKY_APP)
    result = run_cli("generate", "--dataset", "data.jsonl", "--app", "app.py:answer", cwd=workdir)
    assert_one_line_error(
        result, "scorelens: error: 2 of 3 rows failed; their traces are stored with state ERROR"
    )
    assert "Generated 3 traces" in result.stdout and "(2 failed)" in result.stdout
    assert "RuntimeError: model unavailable for fail" in result.stdout
    stored = scorelens.search_traces()
    assert sorted(stored["state"]) == ["ERROR", "ERROR", "OK"]


# -- scorelens doctor --------------------------------------------------------------------------


def test_doctor_reports_a_healthy_store(workdir: Path) -> None:
    run_id = generate(workdir, '{"inputs": {"question": "a"}}\n{"inputs": {"question": "b"}}\n')
    (workdir / "scorers.py").write_text(
        "from scorelens.genai.scorers import scorer\n\n"
        "@scorer\n"
        "def size(outputs):\n"
        "    return len(outputs)\n"
    )
    assert run_cli("score", "scorers.py", cwd=workdir).returncode == 0
    result = run_cli("doctor", cwd=workdir)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert str(workdir / ".scorelens") in out
    assert re.search(r"index\.json\s+ok", out), out
    assert re.search(r"runs\s+2 \(1 with traces\)", out), out
    assert re.search(r"traces\s+2\b", out), out
    assert run_id in out


def test_doctor_on_a_workspace_without_a_store(workdir: Path) -> None:
    result = run_cli("doctor", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "no store" in result.stdout and str(workdir / ".scorelens") in result.stdout
    assert not (workdir / ".scorelens").exists()


def test_doctor_rebuild_recovers_runs_after_index_json_is_lost(workdir: Path) -> None:
    run_id = generate(workdir, '{"inputs": {"question": "a"}}\n{"inputs": {"question": "b"}}\n')
    (workdir / ".scorelens" / "index.json").unlink()

    runs = run_cli("runs", cwd=workdir)
    assert_one_line_error(runs, "doctor --rebuild")

    report = run_cli("doctor", cwd=workdir)
    assert_one_line_error(report, "index.json is missing", "doctor --rebuild")
    assert re.search(r"index\.json\s+missing", report.stdout), report.stdout
    assert "scorelens doctor --rebuild" in report.stdout
    assert re.search(r"traces\s+2 in 1 folder", report.stdout), report.stdout

    rebuilt = run_cli("doctor", "--rebuild", cwd=workdir)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "1 run" in rebuilt.stdout

    listed = run_cli("runs", cwd=workdir)
    assert listed.returncode == 0, listed.stderr
    assert run_id in listed.stdout
    assert run_cli("doctor", cwd=workdir).returncode == 0


def test_doctor_rebuild_with_an_index_present_changes_nothing(workdir: Path) -> None:
    generate(workdir, '{"inputs": {"question": "a"}}\n')
    index = workdir / ".scorelens" / "index.json"
    before = index.read_bytes()
    result = run_cli("doctor", "--rebuild", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "nothing to rebuild" in result.stdout
    assert index.read_bytes() == before


def test_doctor_finds_and_rebuild_adds_runs_the_index_does_not_list(
    workdir: Path, tmp_path: Path
) -> None:
    kept = generate(workdir, '{"inputs": {"question": "a"}}\n')
    # A run's trace folder copied in from another workspace: its traces are invisible.
    other = tmp_path / "other"
    other.mkdir()
    copied = generate(other, '{"inputs": {"question": "b"}}\n{"inputs": {"question": "c"}}\n')
    shutil.copytree(
        other / ".scorelens" / "traces" / copied, workdir / ".scorelens" / "traces" / copied
    )

    report = run_cli("doctor", cwd=workdir)
    assert_one_line_error(report, "index.json does not list 1 run")
    assert re.search(rf"unlisted\s+index\.json does not list 1 run .*\({copied}\)", report.stdout)
    assert copied not in run_cli("runs", cwd=workdir).stdout

    rebuilt = run_cli("doctor", "--rebuild", cwd=workdir)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert re.search(r"index\.json\s+added 1 run from the trace files", rebuilt.stdout)
    assert re.search(r"traces\s+3 in 2 folders", rebuilt.stdout), rebuilt.stdout
    listed = run_cli("runs", cwd=workdir).stdout
    assert kept in listed and copied in listed
