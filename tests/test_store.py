"""The TinyDB store: layout, atomic writes, concurrent writers, corrupt files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import scorelens
from scorelens.genai import evaluate
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.scorers import scorer
from scorelens.store import StoreCorruptError, TraceStore
from scorelens.text_preview import preview
from tests.conftest import REPO, run_cli


@scorer
def length(outputs: str) -> int:
    return len(outputs)


@scorelens.trace
def echo(text: str) -> str:
    return text * 2


def generate(n: int) -> str:
    return generate_traces([{"inputs": {"text": str(i)}} for i in range(n)], echo).run_id


def files_under(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.suffix == ".json"
    }


def test_files_are_tinydb_documents_in_the_documented_layout(store_dir: Path) -> None:
    run_id = generate(3)
    evaluate(scorelens.search_traces(run_id=run_id), scorers=[length])
    (segment,) = (store_dir / "traces" / run_id).iterdir()
    tables = json.loads(segment.read_text())
    assert list(tables) == ["traces"]
    assert sorted(tables["traces"]) == ["1", "2", "3"]  # TinyDB document ids
    assessments = json.loads((store_dir / "assessments" / f"{run_id}.json").read_text())
    assert len(assessments["assessments"]) == 3
    index = json.loads((store_dir / "index.json").read_text())
    assert {"runs"} <= set(index)


def test_each_segment_has_a_summary_built_again_when_missing_or_damaged(
    store_dir: Path,
) -> None:
    run_id = generate(3)
    store = TraceStore(store_dir)
    (segment,) = store.segments(run_id)
    path = store_dir / "summaries" / run_id / segment
    written = json.loads(path.read_text())
    traces = {t.trace_id: t for t in scorelens.search_traces(run_id=run_id, return_type="list")}
    assert written["version"] == 1
    assert [r[0] for r in written["traces"]] == [r[0] for r in store.summaries(run_id, segment)]
    for trace_id, state, request_time, inputs, outputs in written["traces"]:
        trace = traces[trace_id]
        assert (state, request_time) == (str(trace.info.state), trace.info.request_time)
        assert (inputs, outputs) == (preview(trace.inputs, 160), preview(trace.outputs, 160))
    # A store written before summaries has none; a damaged one is never trusted: both are made
    # again from the segment, which is the truth.
    for damage in (path.unlink, lambda: path.write_text('{"version": 1, "traces": [1]}')):
        damage()
        assert store.summaries(run_id, segment) == written["traces"]
        assert json.loads(path.read_text()) == written


def test_rescoring_rewrites_only_results(store_dir: Path) -> None:
    run_id = generate(20)
    traces = scorelens.search_traces(run_id=run_id)
    before = files_under(store_dir / "traces")
    evaluate(traces, scorers=[length])
    evaluate(traces, scorers=[length])
    assert files_under(store_dir / "traces") == before


def test_corrupt_files_raise_an_error_naming_them_and_stay_untouched(store_dir: Path) -> None:
    run_id = generate(2)
    (segment,) = (store_dir / "traces" / run_id).iterdir()
    damaged = segment.read_bytes()[:40]
    segment.write_bytes(damaged)
    with pytest.raises(StoreCorruptError, match=str(segment)):
        scorelens.search_traces(run_id=run_id)
    assert segment.read_bytes() == damaged

    index = store_dir / "index.json"
    index.write_bytes(b"")
    with pytest.raises(StoreCorruptError, match=r"index\.json.*empty"):
        generate(1)
    assert index.read_bytes() == b""
    result = run_cli("--tracking-uri", str(store_dir), "runs", cwd=store_dir.parent)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert (
        result.stderr.startswith("scorelens: error: store file ") and "index.json" in result.stderr
    )
    assert index.read_bytes() == b""


def test_a_crash_mid_write_leaves_the_previous_file_intact(store_dir: Path) -> None:
    run_id = generate(3)
    evaluate(scorelens.search_traces(run_id=run_id), scorers=[length])
    before = files_under(store_dir / "assessments")
    # A second process dies after writing the new results file's bytes, before the rename.
    crash = textwrap.dedent(
        f"""
        import os
        import scorelens
        from scorelens.genai import evaluate
        from scorelens.genai.scorers import scorer

        @scorer
        def length(outputs):
            return -1

        scorelens.set_tracking_uri({str(store_dir)!r})
        traces = scorelens.search_traces(run_id={run_id!r})
        real_replace = os.replace

        def crash_on_results(src, dst):
            if "assessments" in str(dst):
                os._exit(9)
            real_replace(src, dst)

        os.replace = crash_on_results
        evaluate(traces, scorers=[length])
        """
    )
    proc = subprocess.run([sys.executable, "-c", crash], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    assert files_under(store_dir / "assessments") == before
    values = [
        a["feedback"]["value"]
        for items in scorelens.search_traces(run_id=run_id)["assessments"]
        for a in items
    ]
    assert sorted(values) == [2, 2, 2]


WRITER = """
import sys
import scorelens
from scorelens.genai import evaluate
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.scorers import scorer

@scorer
def length(outputs):
    return len(outputs)

@scorelens.trace
def app(text):
    return text

scorelens.set_tracking_uri(sys.argv[1])
name = sys.argv[2]
for round in range(3):
    result = generate_traces([{"inputs": {"text": f"{name}-{i}"}} for i in range(40)], app)
    evaluate(scorelens.search_traces(run_id=result.run_id), scorers=[length])
"""


def test_concurrent_writers_wait_instead_of_corrupting(store_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "server")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store_dir), f"w{n}"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    runs = scorelens.tracking.get_store().list_runs()
    assert len(runs) == 4 * 3 * 2
    assert sorted(r["trace_count"] for r in runs) == [0] * 12 + [40] * 12
    assert all(r["status"] == "FINISHED" for r in runs)
    frame = scorelens.search_traces()
    assert len(frame) == 4 * 3 * 40
    assert all(len(items) == 1 for items in frame["assessments"])
