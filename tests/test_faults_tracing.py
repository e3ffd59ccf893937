"""Tracing never breaks the app it records, whatever state the store is in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import scorelens
from scorelens.genai.evaluation import generate_traces
from tests.conftest import REPO

# A user's script: traced calls before and after the exporter's timer fires, sync and async.
APP = """
import asyncio
import sys
import time

import scorelens

scorelens.set_tracking_uri(sys.argv[1])


@scorelens.trace
def double(n: int) -> int:
    return n * 2


@scorelens.trace
async def increment(n: int) -> int:
    return n + 1


results = [double(n) for n in range(5)]
time.sleep(1.6)  # long enough for the exporter's timer thread to try a write
results += [double(n) for n in range(5, 10)]
results.append(asyncio.run(increment(10)))
print(results)
"""

EXPECTED = str([n * 2 for n in range(10)] + [11])


@scorelens.trace
def echo(text: str) -> str:
    return text


def truncate_index(store: Path) -> Path:
    index = store / "index.json"
    index.write_bytes(index.read_bytes()[:25])
    return index


def traces_folder_is_a_file(store: Path) -> Path:
    traces = store / "traces"
    for folder in traces.iterdir():
        for segment in folder.iterdir():
            segment.unlink()
        folder.rmdir()
    traces.rmdir()
    traces.write_text("not a folder")
    return traces


def run_app(store: Path, experiment: str = "Default") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", APP, str(store)],
        env={
            **os.environ,
            "PYTHONPATH": str(REPO / "server"),
            "SCORELENS_EXPERIMENT": experiment,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("breakage", "experiment", "cause"),
    [
        # A named experiment's id is looked up in index.json for every new trace.
        (truncate_index, "named", "invalid JSON"),
        (traces_folder_is_a_file, "Default", "traces"),
    ],
    ids=["truncated-index", "traces-is-a-file"],
)
def test_a_broken_store_never_breaks_the_app_and_is_reported_once(
    store_dir: Path, breakage: Callable[[Path], Path], experiment: str, cause: str
) -> None:
    generate_traces([{"inputs": {"text": "hi"}}], echo)
    broken = breakage(store_dir)
    damaged = broken.read_bytes()
    proc = run_app(store_dir, experiment)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == EXPECTED
    assert "Traceback" not in proc.stderr
    assert "Exception in thread" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(broken) in lines[0]
    assert cause in lines[0]
    assert broken.read_bytes() == damaged


def test_a_damaged_index_does_not_stop_traces_of_the_default_experiment(
    store_dir: Path,
) -> None:
    generate_traces([{"inputs": {"text": "hi"}}], echo)
    index = truncate_index(store_dir)
    damaged = index.read_bytes()
    proc = run_app(store_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == EXPECTED
    assert proc.stderr == ""
    segments = list((store_dir / "traces" / "exp-0").iterdir())
    assert sum(len(json.loads(p.read_text())["traces"]) for p in segments) == 11
    assert index.read_bytes() == damaged


def test_a_broken_store_in_process_returns_results_and_warns_once(
    store_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    generate_traces([{"inputs": {"text": "hi"}}], echo)
    traces_folder_is_a_file(store_dir)

    @scorelens.trace
    def app(n: int) -> int:
        return n + 1

    with scorelens.start_span("manual") as span:
        span.set_outputs("kept")
    assert [app(n) for n in range(20)] == list(range(1, 21))
    scorelens.flush_traces()
    warnings = [r for r in caplog.records if r.name.startswith("scorelens")]
    assert len(warnings) == 1
    assert str(store_dir / "traces") in warnings[0].getMessage()
