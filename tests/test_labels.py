"""Labels: human feedback of what a scorer should say, stored as MLflow stores human feedback, kept
through re-scoring, one per (trace, scorer, user), and safe with writers in several processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import scorelens
from scorelens.entities import AssessmentSource, Expectation, Feedback
from scorelens.genai import evaluate, scorer
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.labels import (
    Label,
    UnknownTraceError,
    clear_label,
    default_user,
    labels_in_store,
    labels_of,
    search_labels,
    set_label,
)


@scorelens.trace
def echo(question: str) -> str:
    return question


@scorer
def is_short(outputs: str) -> bool:
    return len(outputs) < 6


def record(questions: list[str]) -> tuple[str, list[str]]:
    """A run of the echo app over `questions`: its id and its trace ids, in question order."""
    generated = generate_traces([{"inputs": {"question": q}} for q in questions], echo)
    return generated.run_id, [t.info.trace_id for t in generated.traces]


def human_feedback(trace_id: str, name: str) -> list[dict[str, Any]]:
    """The trace's HUMAN feedback of this name, as search_traces shows it."""
    (trace,) = scorelens.search_traces(return_type="list", trace_ids=[trace_id])
    return [
        a.to_dictionary()
        for a in trace.info.assessments
        if a.name == name and a.source.source_type == "HUMAN"
    ]


def test_a_label_is_human_feedback_that_search_traces_returns(store_dir: Path) -> None:
    _, (trace_id,) = record(["hi"])
    made = set_label(trace_id, "is_short", True, note="two letters", user="ana")
    assert made == Label(
        trace_id, "is_short", True, "two letters", "ana", made.time_ms, made.assessment_id
    )
    assert made.assessment_id is not None and made.assessment_id.startswith("a-")
    assert not made.unsure

    frame = scorelens.search_traces()
    (stored,) = frame["assessments"][0]
    assert stored["assessment_name"] == "is_short"
    assert stored["source"] == {"source_type": "HUMAN", "source_id": "ana"}
    assert stored["feedback"] == {"value": True}
    assert stored["rationale"] == "two letters"
    assert stored["assessment_id"] == made.assessment_id
    assert search_labels() == {trace_id: {"is_short": made}}


def test_log_feedback_from_a_human_is_a_label_too(store_dir: Path) -> None:
    _, (trace_id,) = record(["hi"])
    logged = scorelens.log_feedback(
        trace_id=trace_id,
        name="is_short",
        value=False,
        rationale="too terse",
        source=AssessmentSource(source_type="HUMAN", source_id="ana"),
    )
    (label,) = search_labels()[trace_id].values()
    assert (label.value, label.note, label.source_id) == (False, "too terse", "ana")
    assert label.assessment_id == logged.assessment_id
    # set_label by the same user replaces it: one label per (trace, scorer, user).
    set_label(trace_id, "is_short", True, user="ana")
    assert [a["feedback"]["value"] for a in human_feedback(trace_id, "is_short")] == [True]


def test_last_writer_wins_per_user_and_every_user_is_kept(store_dir: Path) -> None:
    _, (trace_id,) = record(["hi"])
    set_label(trace_id, "is_short", False, user="ana")
    set_label(trace_id, "is_short", True, user="ana", note="changed my mind")
    bo = set_label(trace_id, "is_short", False, user="bo")
    stored = human_feedback(trace_id, "is_short")
    assert sorted((a["source"]["source_id"], a["feedback"]["value"]) for a in stored) == [
        ("ana", True),
        ("bo", False),
    ]
    # The current label is the one updated last, whoever wrote it.
    assert search_labels()[trace_id]["is_short"] == bo
    ana = set_label(trace_id, "is_short", True, user="ana")
    assert search_labels()[trace_id]["is_short"] == ana

    assert clear_label(trace_id, "is_short", user="ana") is True
    assert clear_label(trace_id, "is_short", user="ana") is False
    assert search_labels()[trace_id]["is_short"].source_id == "bo"
    assert clear_label(trace_id, "is_short", user="bo") is True
    assert search_labels() == {}


def test_an_unsure_label_has_no_value_and_says_why(store_dir: Path) -> None:
    _, (trace_id,) = record(["hi"])
    made = set_label(trace_id, "is_short", "ignored", unsure=True, user="ana")
    assert made.unsure and made.value is None
    (stored,) = human_feedback(trace_id, "is_short")
    assert stored["feedback"] == {"value": None}
    assert stored["metadata"] == {"scorelens.label": "unsure"}
    assert search_labels()[trace_id]["is_short"].unsure


def test_labels_survive_rescoring_and_are_not_taken_for_results(store_dir: Path) -> None:
    run_id, ids = record(["hi", "a longer question", "ok"])
    set_label(ids[0], "is_short", True, user="ana")  # agrees
    set_label(ids[1], "is_short", True, user="ana")  # disagrees: the scorer fails it
    set_label(ids[2], "is_short", None, unsure=True, user="ana")
    set_label(ids[2], "other_scorer", False, user="ana")

    first = evaluate(scorelens.search_traces(run_id=run_id), scorers=[is_short])
    second = evaluate(scorelens.search_traces(run_id=run_id), scorers=[is_short])
    for result in (first, second):
        # Two counted labels (the unsure one is not), one agreeing; the one trace the scorer
        # failed is labelled pass, and no trace is labelled fail, so recall is undefined.
        assert result.metrics == {
            "is_short/mean": pytest.approx(2 / 3),
            "is_short/agreement": 0.5,
            "is_short/fail_precision": 0.0,
        }
    # The scorer's own column is its own values, not the labels.
    values = dict(
        zip(second.result_df["trace_id"], second.result_df["is_short/value"], strict=True)
    )
    assert values == {ids[0]: True, ids[1]: False, ids[2]: True}
    # Re-scoring replaced the scorer's feedback and kept every label.
    for trace_id in ids:
        (trace,) = scorelens.search_traces(return_type="list", trace_ids=[trace_id])
        sources = sorted(
            (a.name, a.source.source_type) for a in trace.info.assessments if a.name == "is_short"
        )
        assert sources == [("is_short", "CODE"), ("is_short", "HUMAN")]
    assert len(search_labels()) == 3
    # result_df's assessments column shows the trace as now stored: label and result both.
    kinds = [
        sorted(a["source"]["source_type"] for a in row if a["assessment_name"] == "is_short")
        for row in second.result_df["assessments"]
    ]
    assert kinds == [["CODE", "HUMAN"]] * 3


def test_agreement_metrics_follow_the_labels(store_dir: Path) -> None:
    run_id, ids = record(["hi", "a longer question", "ok", "another long one"])
    set_label(ids[0], "is_short", True, user="ana")  # the scorer passes it: agree
    set_label(ids[1], "is_short", True, user="ana")  # the scorer fails it: disagree
    set_label(ids[3], "is_short", False, user="ana")  # the scorer fails it: agree
    result = evaluate(scorelens.search_traces(run_id=run_id), scorers=[is_short])
    assert result.metrics == {
        "is_short/mean": 0.5,
        "is_short/agreement": pytest.approx(2 / 3),
        "is_short/fail_precision": 0.5,  # failed two, one of them labelled fail
        "is_short/fail_recall": 1.0,
    }
    # Stored with the run, as every metric is.
    runs = {r["run_id"]: r for r in scorelens.tracking.get_store().list_runs()}
    assert runs[result.run_id]["metrics"]["is_short/agreement"] == pytest.approx(2 / 3)
    # Without labels for a scorer, no agreement metric for it.
    assert evaluate(scorelens.search_traces(run_id=run_id), scorers=[echo_length]).metrics == {
        "echo_length/mean": 9.25
    }


@scorer
def echo_length(outputs: str) -> int:
    return len(outputs)


def test_an_evaluation_run_finds_only_the_traces_it_scored(store_dir: Path) -> None:
    run_id, ids = record(["hi", "ok", "unscored"])
    for trace_id in ids:
        set_label(trace_id, "is_short", True, user="ana")
    scored = scorelens.search_traces(run_id=run_id)
    scored = scored[scored["trace_id"] != ids[2]]
    result = evaluate(scored, scorers=[is_short])
    # The labels carry no run: the third trace, labelled but not scored, is not the run's.
    found = scorelens.search_traces(run_id=result.run_id)
    assert sorted(found["trace_id"]) == sorted(ids[:2])
    assert sorted(search_labels(run_id=result.run_id)) == sorted(ids[:2])
    assert sorted(search_labels(run_id=run_id)) == sorted(ids)


def test_labels_of_reads_current_human_feedback_only() -> None:
    def human(name: str, value: Any, user: str, at: int, valid: bool = True) -> Feedback:
        return Feedback(
            name=name,
            value=value,
            source=AssessmentSource("HUMAN", user),
            create_time_ms=at,
            last_update_time_ms=at,
            valid=valid,
        )

    found = labels_of(
        {
            "t1": [
                human("s", True, "ana", 10),
                human("s", False, "bo", 30),  # updated last: current
                human("s", True, "cy", 20),
                Feedback(name="s", value=True),  # the scorer's own (CODE)
                Expectation(name="s", value=True),
                human("s", True, "dee", 99, valid=False),  # overridden
            ],
            "t2": [human("s", 1, "ana", 5), human("s", 2, "bo", 5)],  # a tie: the later one
            "t3": [Feedback(name="s", value=True)],
        }
    )
    assert {
        t: {n: (lb.value, lb.source_id) for n, lb in by.items()} for t, by in found.items()
    } == {
        "t1": {"s": (False, "bo")},
        "t2": {"s": (2, "bo")},
    }
    assert found["t1"]["s"].trace_id == "t1" and found["t1"]["s"].time_ms == 30


def test_labels_in_store_reads_assessments_without_traces(store_dir: Path) -> None:
    run_id, (trace_id,) = record(["hi"])
    made = set_label(trace_id, "is_short", True, user="ana")
    store = scorelens.tracking.get_store()
    shutil.rmtree(Path(store.traces_dir) / run_id)
    assert labels_in_store(store, [run_id, "exp-none"]) == {trace_id: {"is_short": made}}


def test_bad_labels_are_refused(store_dir: Path) -> None:
    _, (trace_id,) = record(["hi"])
    with pytest.raises(UnknownTraceError, match="no trace tr-missing in the store at"):
        set_label("tr-missing", "is_short", True)
    with pytest.raises(UnknownTraceError):
        clear_label("tr-missing", "is_short")
    with pytest.raises(ValueError, match="needs a value; pass unsure=True"):
        set_label(trace_id, "is_short", None)
    with pytest.raises(ValueError, match="must be a bool, a number or a string, got list"):
        set_label(trace_id, "is_short", [1])
    with pytest.raises(ValueError, match="must be finite"):
        set_label(trace_id, "is_short", float("nan"))
    with pytest.raises(ValueError, match="needs a scorer name"):
        set_label(trace_id, "", True)
    assert search_labels() == {}


def test_the_user_defaults_to_scorelens_user(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORELENS_USER", "ana@example.com")
    assert default_user() == "ana@example.com"
    _, (trace_id,) = record(["hi"])
    assert set_label(trace_id, "is_short", True).source_id == "ana@example.com"
    monkeypatch.delenv("SCORELENS_USER")
    assert default_user() not in ("", "ana@example.com")


# Labels `ids` after `go` exists: "shared" as itself (both users kept), "team" as the user
# "team" (one is kept: the last writer's), and "split" on its own half of the traces.
LABELLER = textwrap.dedent(
    """
    import os, sys, time
    from scorelens.genai.labels import set_label

    user, half, go, *ids = sys.argv[1:]
    while not os.path.exists(go):
        time.sleep(0.001)
    for number, trace_id in enumerate(ids):
        set_label(trace_id, "shared", user == "ana", user=user)
        set_label(trace_id, "team", user, user="team")
        if number % 2 == int(half):
            set_label(trace_id, "split", number, user=user)
    """
)


def test_concurrent_labellers_in_two_processes_lose_nothing(
    store_dir: Path, tmp_path: Path
) -> None:
    _, ids = record([f"question {n}" for n in range(24)])
    go = tmp_path / "go"
    env = {"SCORELENS_TRACKING_URI": str(store_dir)}
    labellers = [
        subprocess.Popen(
            [sys.executable, "-c", LABELLER, user, half, str(go), *ids],
            env={**os.environ, **env},
            stderr=subprocess.PIPE,
            text=True,
        )
        for user, half in (("ana", "0"), ("bo", "1"))
    ]
    go.touch()
    for labeller in labellers:
        _, stderr = labeller.communicate(timeout=120)
        assert labeller.returncode == 0, stderr

    for number, trace_id in enumerate(ids):
        shared = human_feedback(trace_id, "shared")
        assert sorted((a["source"]["source_id"], a["feedback"]["value"]) for a in shared) == [
            ("ana", True),
            ("bo", False),
        ]
        (team,) = human_feedback(trace_id, "team")
        assert team["feedback"]["value"] in ("ana", "bo")
        (split,) = human_feedback(trace_id, "split")
        assert split["source"]["source_id"] == ("ana" if number % 2 == 0 else "bo")
        assert split["feedback"]["value"] == number
