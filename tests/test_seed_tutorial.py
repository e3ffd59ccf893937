"""The seed tutorial runs unchanged but for its imports, against the loopback server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import scorelens

TUTORIAL = Path(__file__).resolve().parent / "seed" / "tutorial.py"


def test_seed_tutorial_runs_with_scorelens_as_mlflow(tmp_path: Path, openai_env: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(TUTORIAL)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    scorelens.set_tracking_uri(tmp_path / ".scorelens")
    store = scorelens.tracking.get_store()
    rescore, generation = store.list_runs()
    assert generation["trace_count"] == 3
    assert generation["metrics"] == {"placeholder_metric/mean": 1.0}
    assert rescore["trace_count"] == 0 and rescore["source_run_ids"] == [generation["run_id"]]
    traces = scorelens.search_traces()
    # Three from evaluate, one from the direct sample_app call before it.
    assert len(traces) == 4
    generated = scorelens.search_traces(run_id=generation["run_id"])
    lengths = sorted(len(o) for o in generated["outputs"])
    assert rescore["metrics"]["response_length/mean"] == sum(lengths) / 3
    assert all(len(items) == 2 for items in generated["assessments"])
