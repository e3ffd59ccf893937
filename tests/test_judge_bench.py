"""The judge benchmark runs small, counts what the issue expects, and writes only into its
temporary folder."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_bench import BENCH, run_in


def test_judge_bench_counts_calls_and_leaves_the_working_directory_alone(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    result = run_in(cwd, str(BENCH / "bench_judge.py"), "12", "--latency-ms", "5")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "N = 12 traces" in out
    assert re.search(r"\(a\) cold cache, \d+ workers\s+[\d.]+ s\s+12 model calls", out), out
    assert re.search(r"cold cache, sequential\s+[\d.]+ s\s+12 model calls", out), out
    assert re.search(r"sequential / concurrent\s+[\d.]+ x", out), out
    assert re.search(r"\(b\) reply parsing edited\s+[\d.]+ s\s+0 model calls", out), out
    assert re.search(r"\(c\) prompt edited\s+[\d.]+ s\s+12 model calls", out), out
    assert re.search(r"\(d\) editor: parsing edited\s+[\d.]+ s\s+0 model calls", out), out
    assert re.search(r"is_polite · .* · 12 judge calls \(0 new\)", out), out
    assert list(cwd.iterdir()) == []
