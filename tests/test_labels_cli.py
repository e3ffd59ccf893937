"""`scorelens score` beside the labels, and `scorelens labels list | export | import`, run as a user
runs them."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

import scorelens
from scorelens.datasets import load_dataset
from scorelens.genai import evaluate, scorer
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.labels import clear_label, search_labels, set_label
from tests.conftest import assert_one_line_error, run_cli

SCORERS = """
from scorelens.genai.scorers import scorer

@scorer
def is_short(outputs):
    return "yes" if len(outputs) < 6 else "no"

@scorer
def length(outputs):
    return len(outputs)
"""

QUESTIONS = ["hi", "a longer question", "ok", "another long one", "yo"]


@scorelens.trace
def echo(question: str) -> str:
    return question


@pytest.fixture
def workdir(store_dir: Path) -> Path:
    """Where the commands run, beside the store (current in this process too) and a scorer file."""
    (store_dir.parent / "scorers.py").write_text(SCORERS)
    return store_dir.parent


def cli(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=workdir, env={"SCORELENS_TRACKING_URI": str(workdir / "store")})


def record() -> list[str]:
    """Trace ids of the echo app over QUESTIONS, in question order."""
    generated = generate_traces([{"inputs": {"question": q}} for q in QUESTIONS], echo)
    return [t.info.trace_id for t in generated.traces]


def current(trace_ids: list[str]) -> dict[tuple[str, str], tuple[Any, str | None, str]]:
    """What the labels say, without their times and ids (which a rewrite changes)."""
    found = search_labels()
    return {
        (t, name): (label.value, label.note, label.source_id)
        for t in trace_ids
        for name, label in found.get(t, {}).items()
    }


def test_score_shows_agreement_only_where_there_are_labels(workdir: Path) -> None:
    ids = record()
    plain = cli(workdir, "score", "scorers.py")
    assert plain.returncode == 0, plain.stderr
    assert "agreement" not in plain.stdout

    set_label(ids[0], "is_short", True, user="ana")  # the scorer says yes: agree
    set_label(ids[1], "is_short", True, user="ana")  # the scorer says no: disagree
    set_label(ids[3], "is_short", False, user="ana")  # no: agree
    set_label(ids[4], "is_short", None, unsure=True, user="ana")  # not counted
    labelled = cli(workdir, "score", "scorers.py")
    assert labelled.returncode == 0, labelled.stderr
    header = labelled.stdout.splitlines()[1]
    assert header.split() == ["scorer", "aggregates", "scored", "errors", "agreement"]
    # Failed two, one labelled fail (precision 0.5); the one labelled fail is among them.
    assert re.search(
        r"is_short\s+3/5 pass\s+5\s+0\s+2/3 \(P 0\.50 R 1\.00\)$", labelled.stdout, re.M
    )
    assert re.search(r"^length\s+mean 7\.8\s+5\s+0\s+-$", labelled.stdout, re.M)


def test_export_writes_an_eval_dataset_in_jsonl_and_csv(workdir: Path) -> None:
    ids = record()
    set_label(ids[0], "is_short", True, note="short enough", user="ana")
    set_label(ids[1], "is_short", False, user="bo")
    set_label(ids[2], "is_short", None, unsure=True, user="ana")
    set_label(ids[3], "length", 3, user="ana")  # another scorer's: not exported

    jsonl = cli(workdir, "labels", "export", "--scorer", "is_short")
    assert jsonl.returncode == 0, jsonl.stderr
    records = {r["trace_id"]: r for r in map(json.loads, jsonl.stdout.splitlines())}
    assert records == {
        ids[0]: {
            "trace_id": ids[0],
            "inputs": {"question": "hi"},
            "outputs": "hi",
            "expectations": {"is_short": True},
            "label": {"user": "ana", "note": "short enough", "unsure": False},
        },
        ids[1]: {
            "trace_id": ids[1],
            "inputs": {"question": "a longer question"},
            "outputs": "a longer question",
            "expectations": {"is_short": False},
            "label": {"user": "bo", "note": None, "unsure": False},
        },
        ids[2]: {
            "trace_id": ids[2],
            "inputs": {"question": "ok"},
            "outputs": "ok",
            "expectations": {"is_short": None},
            "label": {"user": "ana", "note": None, "unsure": True},
        },
    }

    # The same records from CSV, the format chosen by the file's suffix; both load as eval data.
    written = cli(workdir, "labels", "export", "--scorer", "is_short", "--output", "l.csv")
    assert written.returncode == 0, written.stderr
    assert "Exported 3 labels of is_short to l.csv" in written.stdout
    assert (workdir / "l.csv").read_text().startswith("trace_id,inputs,outputs,expectations,label")
    (workdir / "l.jsonl").write_text(jsonl.stdout)
    from_csv = load_dataset(workdir / "l.csv")
    assert {r["trace_id"]: r for r in from_csv} == records
    assert load_dataset(workdir / "l.jsonl") == from_csv

    # evaluate takes it as data: the labels are the rows' expectations.
    @scorer
    def as_labelled(outputs: str, expectations: dict[str, Any]) -> bool:
        return bool((len(outputs) < 6) == expectations["is_short"])

    definite = [r for r in from_csv if not r["label"]["unsure"]]
    assert evaluate(definite, scorers=[as_labelled]).metrics == {"as_labelled/mean": 1.0}


def test_export_of_a_run_and_its_errors(workdir: Path) -> None:
    ids = record()
    set_label(ids[0], "is_short", True, user="ana")
    later = generate_traces([{"inputs": {"question": "other run"}}], echo)
    in_run = cli(workdir, "labels", "export", "--scorer", "is_short", "--run", later.run_id)
    assert_one_line_error(in_run, f"no labels for scorer is_short in run {later.run_id}")
    assert_one_line_error(
        cli(workdir, "labels", "export", "--scorer", "nope"), "no labels for scorer nope"
    )
    assert_one_line_error(
        cli(workdir, "labels", "export", "--scorer", "is_short", "--format", "xml"),
        "unknown format 'xml'; use jsonl or csv",
    )
    assert_one_line_error(
        cli(workdir, "labels", "export", "--scorer", "is_short", "--run", "abc"),
        "no run 'abc'",
    )
    assert_one_line_error(
        cli(workdir, "labels", "export", "--scorer", "is_short", "--output", "no/such/dir.jsonl"),
        "no/such/dir.jsonl",
    )


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_export_clear_import_gives_the_same_labels(workdir: Path, suffix: str) -> None:
    ids = record()
    set_label(ids[0], "is_short", True, note='a "quoted", noted label', user="ana")
    set_label(ids[1], "is_short", False, user="bo")
    set_label(ids[2], "is_short", None, unsure=True, user="cy")
    before = current(ids)
    exported = cli(workdir, "labels", "export", "--scorer", "is_short", "--output", f"l.{suffix}")
    assert exported.returncode == 0, exported.stderr
    for trace_id, user in zip(ids, ("ana", "bo", "cy"), strict=False):
        assert clear_label(trace_id, "is_short", user=user)
    assert search_labels() == {}

    imported = cli(workdir, "labels", "import", f"l.{suffix}")
    assert imported.returncode == 0, imported.stderr
    assert f"Imported 3 labels on 3 traces from l.{suffix}" in imported.stdout
    assert current(ids) == before

    listed = cli(workdir, "labels", "list", "--scorer", "is_short")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1:4] for line in listed.stdout.splitlines()[2:]}
    assert rows == {
        ids[0]: ["is_short", "pass", "ana"],
        ids[1]: ["is_short", "fail", "bo"],
        ids[2]: ["is_short", "unsure", "cy"],
    }


def test_import_takes_plain_expectations_and_a_user(workdir: Path) -> None:
    ids = record()
    (workdir / "mine.jsonl").write_text(
        json.dumps({"trace_id": ids[0], "expectations": {"is_short": True, "length": 2}})
        + "\n"
        + json.dumps({"trace_id": ids[1], "expectations": {"is_short": "no"}})
        + "\n"
    )
    result = cli(workdir, "labels", "import", "mine.jsonl", "--user", "dee")
    assert result.returncode == 0, result.stderr
    assert current(ids) == {
        (ids[0], "is_short"): (True, None, "dee"),
        (ids[0], "length"): (2, None, "dee"),
        (ids[1], "is_short"): ("no", None, "dee"),
    }


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [
                '{"trace_id": "{0}", "expectations": {"s": true}}',
                '{"trace_id": "tr-nope", "expectations": {"s": true}}',
            ],
            "line 2: no trace tr-nope in the store at",
        ),
        (
            ['{"trace_id": "{0}", "expectations": {"s": true}}', '{"trace_id": "{0}"}'],
            "line 2: needs 'expectations'",
        ),
        (['{"expectations": {"s": true}}'], "line 1: needs a 'trace_id'"),
        (['{"trace_id": "{0}", "expectations": {"s": [1]}}'], "line 1: a label's value must be"),
        (
            ['{"trace_id": "{0}", "expectations": {"s": true}, "label": "ana"}'],
            "line 1: 'label' must be an object",
        ),
        (['{"trace_id": "{0}", "expectations": {"s": true}}', "{oops"], "line 2: invalid JSON"),
    ],
)
def test_a_bad_import_names_its_line_and_writes_nothing(
    workdir: Path, lines: list[str], message: str
) -> None:
    ids = record()
    (workdir / "bad.jsonl").write_text(
        "".join(line.replace("{0}", ids[0]) + "\n" for line in lines)
    )
    assert_one_line_error(cli(workdir, "labels", "import", "bad.jsonl"), "bad.jsonl: " + message)
    assert search_labels() == {}


def test_import_of_a_file_it_cannot_read(workdir: Path) -> None:
    assert_one_line_error(
        cli(workdir, "labels", "import", "missing.jsonl"), "missing.jsonl: no such"
    )
    (workdir / "labels.txt").write_text("x")
    assert_one_line_error(
        cli(workdir, "labels", "import", "labels.txt"), "unsupported dataset type .txt"
    )
    (workdir / "no_ids.csv").write_text("inputs,expectations\n{},{}\n")
    assert_one_line_error(
        cli(workdir, "labels", "import", "no_ids.csv"), "needs a 'trace_id' column"
    )
