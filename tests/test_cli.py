"""The `scorelens` command, run as a user runs it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import scorelens
from tests.conftest import FIXTURES, REPO, run_cli


@pytest.fixture
def workdir(tmp_path: Path, openai_env: str) -> Path:
    return tmp_path


def generate(workdir: Path, dataset: str = "datasets/support.jsonl") -> str:
    result = run_cli(
        "generate",
        "--dataset",
        str(FIXTURES / dataset),
        "--app",
        "fixtures.sample_app:sample_app",
        cwd=workdir,
        env={"PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    match = re.search(r"Generated (\d+) traces in run (\w+) \((\d+) failed\)", result.stdout)
    assert match, result.stdout
    return match.group(2)


def stored_traces(workdir: Path, run_id: str) -> list[Any]:
    scorelens.set_tracking_uri(workdir / ".scorelens")
    return scorelens.search_traces(run_id=run_id, return_type="list")


def facts_present(workdir: Path, run_id: str) -> tuple[int, int]:
    """(answers stating every expected fact, answers with facts to state), from the data."""
    dataset = [json.loads(line) for line in (FIXTURES / "datasets/support.jsonl").open()]
    expected = {
        json.dumps(row["inputs"]["messages"]): row["expectations"]["expected_facts"]
        for row in dataset
    }
    passed = judged = 0
    for trace in stored_traces(workdir, run_id):
        facts = expected[json.dumps(trace.inputs["messages"])]
        if facts:
            judged += 1
            answer = (trace.outputs or "").lower()
            passed += all(fact.lower() in answer for fact in facts)
    return passed, judged


def test_generate_score_runs_traces(workdir: Path) -> None:
    run_id = generate(workdir)
    assert (workdir / ".scorelens" / "traces" / run_id).is_dir()

    scored = run_cli("score", str(FIXTURES / "scorers.py"), "--rows", cwd=workdir)
    assert scored.returncode == 0, scored.stderr
    out = scored.stdout
    assert f"from run {run_id}" in out
    assert re.search(r"response_length\s+mean [\d.]+, min \d+, max \d+\s+56\s+0", out)
    # Pass counts, as the editor's lens shows them, for a scorer whose values are bools.
    passed, judged = facts_present(workdir, run_id)
    assert 0 < passed < judged  # both verdicts occur, or the count proves little
    assert re.search(rf"mentions_expected_facts\s+{passed}/{judged} pass\s+56\s+0", out)
    assert re.search(r"llm_tokens\s+mean [\d.]+, p90 [\d.]+, max \d+", out)
    rows = [line for line in out.splitlines() if line.startswith("tr-")]
    assert len(rows) == 56
    assert any("How much does a microwave" in r and "Our countertop" in r for r in rows)

    runs = run_cli("runs", cwd=workdir)
    assert runs.returncode == 0
    lines = runs.stdout.splitlines()
    assert len(lines) == 4  # header, rule, the scoring run, the generating run
    assert run_id in lines[3] and " 56 " in lines[3]
    assert "response_length/mean" in lines[2]

    listed = run_cli("traces", "--run", run_id, "--limit", "5", cwd=workdir)
    assert listed.returncode == 0
    assert sum(line.startswith("tr-") for line in listed.stdout.splitlines()) == 5


def test_generate_with_a_failing_row_reports_it(workdir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text(
        '{"inputs": {"messages": [{"role": "user", "content": "Is shipping free?"}]}}\n'
        '{"inputs": {"messages": [{"role": "user", "content": "[server-error]"}]}}\n'
    )
    result = run_cli(
        "generate",
        "--dataset",
        str(data),
        "--app",
        f"{FIXTURES / 'sample_app.py'}:sample_app",
        cwd=workdir,
        env={"SCORELENS_SAMPLE_MAX_RETRIES": "0"},
    )
    assert result.returncode == 1, result.stderr
    assert "Generated 2 traces" in result.stdout and "(1 failed)" in result.stdout
    assert "InternalServerError" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["generate", "--dataset", "missing.json", "--app", "x:y"],
            "missing.json: no such dataset file",
        ),
        (["generate", "--dataset", "{bad}", "--app", "x:y"], "bad.json: line 1: invalid JSON"),
        (
            ["generate", "--dataset", "{good}", "--app", "nomodule"],
            "--app must look like module:function",
        ),
        (
            ["generate", "--dataset", "{good}", "--app", "no_such_mod:f"],
            "cannot import no_such_mod",
        ),
        (
            ["generate", "--dataset", "{good}", "--app", "{app}:missing"],
            "has no attribute 'missing'",
        ),
        (["score", "{syntax}"], "SyntaxError at line 2"),
        (["score", "{empty}"], "defines no scorers (@scorer functions or Scorer classes)"),
        (["score", str(FIXTURES / "scorers.py")], "no stored traces in"),
        (["score", str(FIXTURES / "scorers.py"), "--run", "abc"], "no run abc in"),
        (["traces", "--run", "abc"], "no run abc in"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(workdir: Path, args: list[str], message: str) -> None:
    (workdir / "bad.json").write_text("[{")
    (workdir / "good.json").write_text('[{"inputs": {"x": 1}}]')
    (workdir / "app.py").write_text("def run(x):\n    return x\n")
    (workdir / "syntax.py").write_text("x = 1\ndef (:\n")
    (workdir / "empty.py").write_text("x = 1\n")
    names = {
        n: str(workdir / f)
        for n, f in [
            ("bad", "bad.json"),
            ("good", "good.json"),
            ("app", "app.py"),
            ("syntax", "syntax.py"),
            ("empty", "empty.py"),
        ]
    }
    result = run_cli(*[a.format(**names) for a in args], cwd=workdir)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("scorelens: error: ")
    assert message in result.stderr


def test_scorer_errors_are_summarised_not_fatal(workdir: Path) -> None:
    generate(workdir, "datasets/seed.json")
    (workdir / "my_scorers.py").write_text(
        "from scorelens.genai.scorers import scorer\n\n"
        "@scorer\n"
        "def broken(outputs):\n"
        "    return outputs['missing']\n\n"
        "@scorer\n"
        "def ok(outputs):\n"
        "    return True\n"
    )
    result = run_cli("score", "my_scorers.py", cwd=workdir)
    assert result.returncode == 0
    assert re.search(r"broken\s+-\s+0\s+3", result.stdout)
    assert re.search(r"ok\s+3/3 pass\s+3\s+0", result.stdout)
    assert "scorer 'broken' failed on 3 of 3 traces: TypeError" in result.stderr


# MLflow's yes/no verdicts, and a bool scorer that abstains (None) on short answers.
VERDICT_SCORERS = """
from scorelens.genai.scorers import scorer

@scorer
def long_enough(outputs):
    return "yes" if len(outputs) > 120 else "No"

@scorer
def quotes_a_price(outputs):
    return None if len(outputs) <= 120 else "$" in outputs
"""


def test_verdicts_are_counted_as_the_lens_counts_them(workdir: Path) -> None:
    run_id = generate(workdir)
    (workdir / "verdicts.py").write_text(VERDICT_SCORERS)
    result = run_cli("score", "verdicts.py", cwd=workdir)
    assert result.returncode == 0, result.stderr

    answers = [trace.outputs for trace in stored_traces(workdir, run_id)]
    long = [a for a in answers if len(a) > 120]
    priced = [a for a in long if "$" in a]
    # Each verdict occurs, and some answers abstain, or the counts prove little.
    assert 0 < len(priced) < len(long) < len(answers)
    assert re.search(rf"long_enough\s+{len(long)}/{len(answers)} pass\s+56\s+0", result.stdout)
    # A scorer returning None gives no Feedback, so only the long answers count as scored.
    priced_row = rf"quotes_a_price\s+{len(priced)}/{len(long)} pass\s+{len(long)}\s+0"
    assert re.search(priced_row, result.stdout), result.stdout
