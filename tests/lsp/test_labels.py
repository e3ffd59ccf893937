"""People's labels in the editor: set from the panel, shown beside the scorer as agreement in
the lens, the hover, the panel's cells and filters; the same labels the library and the CLI
read (issue: labels and agreement)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

import scorelens
from scorelens.entities import AssessmentSource
from scorelens.genai.labels import labels_of
from scorelens.lsp import protocol
from tests.lsp.conftest import Session

# Labels in these tests are ana's: the `scorelens.labelUser` setting.
pytestmark = pytest.mark.parametrize("lsp", [{"labelUser": "ana"}], indirect=True)

SHORT = """
from scorelens.genai.scorers import scorer


@scorer
def short(outputs) -> bool:
    return len(outputs) < {limit}
"""


def short(limit: int) -> str:
    return SHORT.format(limit=limit)


def lens(titles: list[str]) -> str:
    return next(t for t in titles if t.startswith("short"))


async def trace_lengths(lsp: Session) -> list[tuple[str, int]]:
    """(trace id, answer length) of the active traces, shortest first."""
    rows = (await lsp.request(protocol.result_rows, {}))["rows"]
    found = []
    for row in rows:
        trace = (await lsp.request(protocol.get_trace, {"traceId": row["traceId"]}))["trace"]
        root = next(s for s in trace["spans"] if s["parent_id"] is None)
        found.append((row["traceId"], len(root["outputs"])))
    return sorted(found, key=lambda item: item[1])


async def label(lsp: Session, trace_id: str, value: object, **more: object) -> object:
    waiting = lsp.expect()
    answer = await lsp.request(
        protocol.set_label, {"traceId": trace_id, "scorer": "short", "value": value, **more}
    )
    await lsp.notified(waiting)
    return answer


@pytest.fixture
async def labelled(lsp: Session) -> tuple[Session, list[tuple[str, int]]]:
    """short() passes only the shortest answer; the labels say the two shortest are short."""
    (lsp.root / "labels.py").write_text(short(1))
    lsp.open("labels.py")
    await lsp.warm()
    lengths = await trace_lengths(lsp)
    limit = lengths[0][1] + 1
    await lsp.save("labels.py", short(limit))
    (first, _), (second, _), (third, _) = lengths
    await label(lsp, first, True)
    await label(lsp, second, True, note="short enough for a chat window")
    await label(lsp, third, False)
    return lsp, lengths


async def test_labels_show_as_agreement_in_the_lens_and_follow_an_edit(
    labelled: tuple[Session, list[tuple[str, int]]],
) -> None:
    lsp, lengths = labelled
    assert "labels 2/3 agree" in lens(await lsp.lenses("labels.py"))

    # An edit that makes the scorer agree with every label shows 3/3 and the change.
    changed = (await lsp.save("labels.py", short(lengths[1][1] + 1), 3))["changed"]
    (summary,) = changed
    assert summary["agreement"] == {
        "agree": 3,
        "total": 3,
        "abstained": 0,
        "previousAgree": 2,
        "disagreeing": [],
    }
    assert "labels 3/3 agree (▲1)" in lens(await lsp.lenses("labels.py"))


async def test_hover_lists_the_disagreeing_traces(
    labelled: tuple[Session, list[tuple[str, int]]],
) -> None:
    lsp, lengths = labelled
    line = next(i for i, text in enumerate(short(0).splitlines()) if text.startswith("def short"))
    hover = await lsp.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=lsp.uri("labels.py")),
            position=types.Position(line=line, character=5),
        )
    )
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    labels = text.split("**Labels**: ")[1].split("\n\n")[0]
    assert labels.startswith("labels 2/3 agree\nDisagrees on 1 (failed or no verdict on 0):")
    assert f"- `{lengths[1][0]}`" in labels and lengths[0][0] not in labels


async def test_the_panel_shows_labels_and_filters_by_agreement(
    labelled: tuple[Session, list[tuple[str, int]]],
) -> None:
    lsp, lengths = labelled
    key = f"{lsp.uri('labels.py')}#short"
    rows = (await lsp.request(protocol.result_rows, {}))["rows"]
    cells = {row["traceId"]: row["cells"][key] for row in rows}
    first, second, third = (trace_id for trace_id, _ in lengths)
    assert cells[first]["label"] == {"value": True, "unsure": False, "note": None, "user": "ana"}
    assert cells[second]["label"]["note"] == "short enough for a chat window"
    assert [cells[t]["agrees"] for t in (first, second, third)] == [True, False, True]

    disagreeing = await lsp.request(protocol.result_rows, {"filter": "disagrees"})
    assert [r["traceId"] for r in disagreeing["rows"]] == [second]
    assert (await lsp.request(protocol.result_rows, {"filter": "unlabelled"}))["total"] == 0

    # The edit that flips the second trace: the "changed" filter shows it, flipped.
    await lsp.save("labels.py", short(lengths[1][1] + 1), 3)
    changed = (await lsp.request(protocol.result_rows, {"filter": "changed"}))["rows"]
    assert second in [r["traceId"] for r in changed]
    flipped = {r["traceId"]: r["cells"][key]["flipped"] for r in changed}
    assert flipped[second] is True

    # The trace view's results carry the label too.
    results = await lsp.request(protocol.trace_results, {"traceId": second})
    (mine,) = [r for r in results["results"] if r["name"] == "short"]
    assert mine["label"]["value"] is True


async def test_unsure_and_cleared_labels_leave_the_agreement(
    labelled: tuple[Session, list[tuple[str, int]]],
) -> None:
    lsp, lengths = labelled
    _, second, third = (trace_id for trace_id, _ in lengths)
    # A new verdict keeps the note the user wrote with the old one.
    answer = await label(lsp, second, None, unsure=True)
    note = "short enough for a chat window"
    assert answer == {"label": {"value": None, "unsure": True, "note": note, "user": "ana"}}
    assert "labels 2/2 agree" in lens(await lsp.lenses("labels.py"))
    assert await label(lsp, third, None, clear=True) == {"label": None}
    assert "labels 1/1 agree" in lens(await lsp.lenses("labels.py"))
    assert (await lsp.request(protocol.result_rows, {"filter": "unlabelled"}))["total"] == 1


async def test_a_label_is_human_feedback_in_the_store_as_mlflow_keeps_it(
    labelled: tuple[Session, list[tuple[str, int]]],
) -> None:
    lsp, lengths = labelled
    scorelens.set_tracking_uri(lsp.root / ".scorelens")
    trace = scorelens.get_trace(lengths[2][0])
    assert trace is not None
    (feedback,) = [a for a in trace.info.assessments if a.source.source_type == "HUMAN"]
    assert (feedback.name, feedback.value) == ("short", False)
    assert feedback.source == AssessmentSource(source_type="HUMAN", source_id="ana")
    assert (
        labels_of({trace.trace_id: trace.info.assessments})[trace.trace_id]["short"].value is False
    )


async def test_feedback_logged_from_code_counts_as_a_label(lsp: Session, workspace: Path) -> None:
    (lsp.root / "labels.py").write_text(short(1))
    lsp.open("labels.py")
    await lsp.warm()
    lengths = await trace_lengths(lsp)
    await lsp.save("labels.py", short(10_000))
    scorelens.set_tracking_uri(workspace / ".scorelens")
    scorelens.log_feedback(
        trace_id=lengths[0][0],
        name="short",
        value=False,
        source=AssessmentSource(source_type="HUMAN", source_id="bo"),
    )
    # The editor's file watcher reports the store's assessments file; the server then says
    # what changed, without a save.
    assessments = next((workspace / ".scorelens" / "assessments").glob("*.json"))
    seen = len(lsp.received[protocol.scores_changed])
    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=assessments.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    for _ in range(500):
        notices = lsp.received[protocol.scores_changed][seen:]
        if any(n["uri"] == lsp.uri("labels.py") for n in notices):
            break
        await asyncio.sleep(0.02)
    (summary,) = next(n for n in notices if n["uri"] == lsp.uri("labels.py"))["changed"]
    assert summary["agreement"]["agree"] == 0 and summary["agreement"]["total"] == 1
    assert "labels 0/1 agree" in lens(await lsp.lenses("labels.py"))


async def test_a_label_for_an_unknown_trace_or_a_bad_value_is_refused(lsp: Session) -> None:
    (lsp.root / "labels.py").write_text(short(1))
    lsp.open("labels.py")
    await lsp.warm()
    with pytest.raises(Exception, match="no trace tr-nope"):
        await lsp.request(
            protocol.set_label, {"traceId": "tr-nope", "scorer": "short", "value": True}
        )
    (trace_id, _), *_ = await trace_lengths(lsp)
    with pytest.raises(Exception, match="bool, a number or a string"):
        await lsp.request(
            protocol.set_label, {"traceId": trace_id, "scorer": "short", "value": {"a": 1}}
        )


async def test_a_scorer_that_names_its_feedback_is_labelled_by_that_name(lsp: Session) -> None:
    (lsp.root / "named.py").write_text(
        "from scorelens.entities import Feedback\n"
        "from scorelens.genai.scorers import scorer\n\n\n"
        "@scorer\n"
        "def polite(outputs):\n"
        '    return Feedback(name="politeness", value=True)\n'
    )
    lsp.open("named.py")
    await lsp.warm()
    await lsp.save("named.py", (lsp.root / "named.py").read_text())
    rows = (await lsp.request(protocol.result_rows, {}))["rows"]
    key = f"{lsp.uri('named.py')}#polite"
    cell = rows[0]["cells"][key]
    assert cell["feedbackName"] == "politeness"
    waiting = lsp.expect()
    await lsp.request(
        protocol.set_label, {"traceId": rows[0]["traceId"], "scorer": "politeness", "value": False}
    )
    await lsp.notified(waiting)
    titles = await lsp.lenses("named.py")
    assert "labels 0/1 agree" in next(t for t in titles if t.startswith("polite"))
    # The library counts it the same way: the label belongs to the Feedback's name.
    results = await lsp.request(protocol.trace_results, {"traceId": rows[0]["traceId"]})
    (mine,) = [r for r in results["results"] if r["name"] == "polite"]
    assert (mine["feedbackName"], mine["label"]["value"]) == ("politeness", False)
    with pytest.raises(Exception, match="a label needs a value"):
        await lsp.request(
            protocol.set_label,
            {"traceId": rows[0]["traceId"], "scorer": "politeness", "value": None},
        )
