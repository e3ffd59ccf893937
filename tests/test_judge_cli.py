"""`scorelens score` with a judge scorer, `--workers`, `--no-judge-cache`, and `scorelens cache
clear`, run as a user runs them against the loopback server (whose counter shows what reached
it)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.openai_server import POLITE_MARKERS, LoopbackServer
from fixtures.scorers import POLITENESS_PROMPT

from tests.conftest import FIXTURES, REPO, run_cli
from tests.test_cli import generate, stored_traces

SCORERS = str(FIXTURES / "scorers.py")
USAGE_ROW = re.compile(r"^is_polite\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)$", re.MULTILINE)


@pytest.fixture
def workdir(tmp_path: Path, openai_env: str) -> Path:
    return tmp_path


@pytest.fixture
def answers(workdir: Path) -> list[str]:
    """The 56 support answers the sample app gave, stored in workdir's store."""
    run_id = generate(workdir)
    return [str(trace.outputs) for trace in stored_traces(workdir, run_id)]


def judge_usage(stdout: str) -> tuple[int, int, str, str]:
    """(calls, new calls, tokens, cost) from is_polite's row of the judge usage table."""
    assert "judge calls" in stdout, stdout
    match = USAGE_ROW.search(stdout)
    assert match, stdout
    return int(match[1]), int(match[2]), match[3], match[4]


def score(workdir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = run_cli("score", *args, cwd=workdir, env={"PYTHONPATH": str(REPO), **(env or {})})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_score_says_what_the_judge_calls_came_to(
    workdir: Path, answers: list[str], openai_server: LoopbackServer
) -> None:
    polite = sum(any(m in a.lower() for m in POLITE_MARKERS) for a in answers)
    # The server counts words as tokens, and the judge answers in one word.
    tokens = [(len(POLITENESS_PROMPT.format(answer=a).split()), 1) for a in answers]
    prices = workdir / "prices.json"
    prices.write_text(json.dumps({"gpt-4o-mini": {"input": 300, "output": 1000}}))
    dollars = sum(i * 300 + o * 1000 for i, o in tokens) / 1e6
    assert dollars >= 0.01  # priced to show in cents
    env = {"SCORELENS_JUDGE_PRICES": str(prices)}

    before = openai_server.model_calls
    out = score(workdir, SCORERS, env=env)
    sent = openai_server.model_calls - before
    assert re.search(rf"^is_polite\s+{polite}/56 pass\s+56\s+0$", out, re.MULTILINE), out
    calls, new, total, cost = judge_usage(out)
    assert (calls, new) == (56, sent)
    assert total == f"{sum(i + o for i, o in tokens):,}"
    assert cost == f"${dollars:,.2f}"  # dollars >= 0.01, shown in cents
    # Scorers that call no model have no row there.
    assert not re.search(r"^(response_length|llm_tokens)\s+\d", out, re.MULTILINE)

    before = openai_server.model_calls
    again = judge_usage(score(workdir, SCORERS, env=env))
    assert openai_server.model_calls == before
    assert again == (56, 0, total, cost)


UNPRICED = """
from fixtures.scorers import POLITENESS_PROMPT, ask_judge
from scorelens.genai.scorers import scorer

@scorer
def is_polite(outputs):
    return ask_judge(POLITENESS_PROMPT.format(answer=outputs), model="house-judge-1") == "yes"
"""


def test_a_model_without_a_price_costs_an_unknown_amount(workdir: Path, answers: list[str]) -> None:
    (workdir / "house.py").write_text(UNPRICED)
    calls, _, tokens, cost = judge_usage(score(workdir, "house.py"))
    assert calls == 56 and tokens != "?"
    assert cost == "?"


def test_no_judge_cache_sends_every_call(
    workdir: Path, answers: list[str], openai_server: LoopbackServer
) -> None:
    for _ in range(2):
        before = openai_server.model_calls
        calls, new, _, _ = judge_usage(score(workdir, SCORERS, "--no-judge-cache"))
        assert calls == new == openai_server.model_calls - before == 56
    assert not (workdir / ".scorelens" / "judge_cache").exists()


MEETING = """
import threading
from scorelens.genai.scorers import scorer

barrier = threading.Barrier({size}, timeout=30)
lock = threading.Lock()
now = most = 0

@scorer(aggregations=["max"])
def rows_at_once(outputs):
    # Passes only when {size} rows are scored at once; returns the most seen at once.
    global now, most
    with lock:
        now += 1
        most = max(most, now)
    try:
        barrier.wait()
        return most
    finally:
        with lock:
            now -= 1
"""


def test_workers_sets_how_many_traces_are_scored_at_once(workdir: Path, answers: list[str]) -> None:
    (workdir / "meeting.py").write_text(MEETING.format(size=4))
    assert re.search(
        r"rows_at_once\s+max 4\s+56\s+0", score(workdir, "meeting.py", "--workers", "4")
    )
    out = score(workdir, "meeting.py", env={"SCORELENS_MAX_WORKERS": "4"})
    assert re.search(r"rows_at_once\s+max 4\s+56\s+0", out)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--workers", "0"], {}, "--workers must be 1 or more, got 0"),
        ([], {"SCORELENS_MAX_WORKERS": "lots"}, "SCORELENS_MAX_WORKERS='lots' must be"),
        ([], {"SCORELENS_JUDGE_PRICES": "/no/such/prices.json"}, "cannot read the price table"),
    ],
)
def test_bad_concurrency_or_prices_are_one_line_errors(
    workdir: Path, answers: list[str], args: list[str], env: dict[str, str], message: str
) -> None:
    result = run_cli("score", SCORERS, *args, cwd=workdir, env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("scorelens: error: ") and message in result.stderr


def test_cache_clear_forgets_the_answers(
    workdir: Path, answers: list[str], openai_server: LoopbackServer
) -> None:
    score(workdir, SCORERS)
    cleared = run_cli("cache", "clear", cwd=workdir)
    assert cleared.returncode == 0, cleared.stderr
    distinct = len(set(answers))
    folder = workdir / ".scorelens" / "judge_cache"
    assert cleared.stdout == f"Forgot {distinct} cached judge answers ({folder})\n"
    assert not folder.exists()

    before = openai_server.model_calls
    _, new, _, _ = judge_usage(score(workdir, SCORERS, "--workers", "1"))
    assert new == openai_server.model_calls - before == distinct

    cleared = run_cli("cache", "clear", cwd=workdir)
    assert cleared.stdout.startswith(f"Forgot {distinct} cached")
    assert run_cli("cache", "clear", cwd=workdir).stdout.startswith("Forgot 0 cached")


@pytest.mark.parametrize(
    ("store", "message"), [("missing", "no store at"), ("a-file", "is a file, not a store folder")]
)
def test_cache_clear_on_a_bad_store_is_a_one_line_error(
    tmp_path: Path, store: str, message: str
) -> None:
    (tmp_path / "a-file").write_text("not a store")
    result = run_cli("--tracking-uri", str(tmp_path / store), "cache", "clear", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("scorelens: error: ") and message in result.stderr
    assert (tmp_path / "a-file").read_text() == "not a store"


def test_two_processes_fill_the_cache_at_once(
    workdir: Path, answers: list[str], openai_server: LoopbackServer
) -> None:
    command = [sys.executable, "-m", "scorelens", "score", SCORERS, "--workers", "4"]
    openai_server.latency_ms = 20  # both are still asking when the other starts writing
    try:
        running = [
            subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        finished = [process.communicate(timeout=120) for process in running]
    finally:
        openai_server.latency_ms = 0
    for process, (stdout, stderr) in zip(running, finished, strict=True):
        assert process.returncode == 0, stderr.decode()
        assert judge_usage(stdout.decode())[0] == 56

    before = openai_server.model_calls
    assert judge_usage(score(workdir, SCORERS))[:2] == (56, 0)
    assert openai_server.model_calls == before
    assert len(list((workdir / ".scorelens" / "judge_cache").rglob("*.json"))) == len(set(answers))
