"""A newcomer's way in: from an empty store to figures on every scorer, with the status following.

Each test drives the real server over stdio, as the editor does.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types

from scorelens.lsp import protocol
from tests.conftest import FIXTURES, run_cli
from tests.lsp.conftest import SCORERS, Session, record_traces, start

SCORER_NAMES = ["response_length", "mentions_expected_facts", "llm_tokens", "is_polite"]


async def eventually(check: Callable[[], Any], timeout: float = 60) -> Any:
    """Poll until `check()` is truthy; what the server sends arrives in its own time."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return found


def statuses(lsp: Session) -> list[dict[str, Any]]:
    return list(lsp.received[protocol.status])


def scored_everywhere(lsp: Session, traces: int) -> Callable[[], bool]:
    """True once a scoresChanged has reported every scorer with figures on `traces` traces."""

    def check() -> bool:
        seen = {
            s["name"]
            for n in lsp.received[protocol.scores_changed]
            for s in n["changed"]
            if s["state"] == "scored" and s["scored"] == s["total"] == traces
        }
        return seen >= set(SCORER_NAMES)

    return check


def empty_workspace(tmp_path: Path) -> Path:
    root = tmp_path / "fresh"
    root.mkdir()
    (root / "scorers.py").write_text(SCORERS)
    shutil.copy(FIXTURES / "sample_app.py", root / "sample_app.py")
    (root / "seed.json").write_text((FIXTURES / "datasets" / "seed.json").read_text())
    return root


async def lens_commands(lsp: Session, name: str) -> list[types.Command]:
    found = await lsp.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=lsp.uri(name)))
    )
    return [lens.command for lens in found or [] if lens.command]


async def test_an_empty_store_points_at_generate_traces_then_scores_what_appears(
    tmp_path: Path, openai_env: str
) -> None:
    root = empty_workspace(tmp_path)
    lsp = await start(root)
    try:
        await lsp.warm()
        lsp.open("scorers.py")
        commands = await lens_commands(lsp, "scorers.py")
        assert [c.title for c in commands] == [
            f"{name} · no stored traces yet · ▶ Generate Traces…" for name in SCORER_NAMES
        ]
        assert {c.command for c in commands} == {"scorelens.generateTraces"}
        assert "Generate Traces" in (commands[0].tooltip or "")

        generated = await lsp.request(
            protocol.generate_traces, {"dataset": "seed.json", "app": "sample_app.py:sample_app"}
        )
        # The status bar is told of the new set, then every scorer is scored without a click.
        await eventually(
            lambda: any(
                s["traceSet"] == {"runId": generated["runId"], "traceCount": 3}
                for s in statuses(lsp)
            )
        )
        await eventually(scored_everywhere(lsp, 3))
        titles = [t for t in await lsp.lenses("scorers.py") if t != "Results"]
        assert [t.split(" · ")[0] for t in titles] == SCORER_NAMES
        # A judge scorer's lens goes on to say what its model calls cost.
        assert all(" · 3 traces · 0 errors" in t for t in titles), titles
    finally:
        await lsp.client.shutdown_session()


async def test_an_empty_store_without_apps_says_what_is_missing(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    (root / "scorers.py").write_text(SCORERS)
    lsp = await start(root)
    try:
        lsp.open("scorers.py")
        (first, *_) = await lens_commands(lsp, "scorers.py")
        assert first.command == "scorelens.generateTraces"
        assert "No @trace function in this workspace" in (first.tooltip or "")
    finally:
        await lsp.client.shutdown_session()


async def test_the_status_follows_a_cli_run_and_the_new_traces_are_scored(
    lsp: Session, openai_env: str
) -> None:
    await lsp.warm()
    lsp.open("scorers.py")
    first = statuses(lsp)[-1]["traceSet"]
    assert first["traceCount"] == 3
    dataset = lsp.root / "two.json"
    dataset.write_text(
        json.dumps(json.loads((FIXTURES / "datasets" / "seed.json").read_text())[:2])
    )
    done = run_cli(
        "generate", "--dataset", "two.json", "--app", "sample_app.py:sample_app", cwd=lsp.root
    )
    assert done.returncode == 0, done.stderr
    # The editor's file watcher reports the store's index.json.
    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(
                    uri=lsp.uri(".scorelens/index.json"), type=types.FileChangeType.Changed
                )
            ]
        )
    )
    latest = await eventually(
        lambda: next(
            (s["traceSet"] for s in statuses(lsp) if s["traceSet"]["runId"] != first["runId"]),
            None,
        )
    )
    assert latest["traceCount"] == 2
    await eventually(scored_everywhere(lsp, 2))


async def test_selecting_and_clearing_tell_the_status_once(lsp: Session, openai_env: str) -> None:
    await lsp.warm()
    only = (await lsp.request(protocol.list_runs))["active"]
    record_traces(lsp.root, "support.jsonl")
    before = len(statuses(lsp))
    await lsp.request(protocol.select_trace_set, {"runId": None})
    await eventually(lambda: len(statuses(lsp)) > before)
    assert statuses(lsp)[-1]["traceSet"] == {"runId": None, "traceCount": 59}
    await eventually(scored_everywhere(lsp, 59))

    count = len(statuses(lsp))
    await lsp.request(protocol.select_trace_set, {"runId": None})  # no change: no notification
    await lsp.request(protocol.select_trace_set, {"runId": only["runId"]})
    await eventually(lambda: len(statuses(lsp)) > count)
    assert [s["traceSet"] for s in statuses(lsp)[count:]] == [only]

    count = len(statuses(lsp))
    await lsp.request(protocol.clear_results)
    await eventually(lambda: len(statuses(lsp)) > count)
    assert statuses(lsp)[-1]["traceSet"] == only
    lsp.open("scorers.py")
    # A clear is not undone by scoring again on its own; one lens scores the whole file.
    assert await lsp.lenses("scorers.py") == ["▶ Score 3 traces"] * 4 + [
        "▶ Score all 4 scorers of this file"
    ]


async def test_the_score_all_lens_scores_the_whole_file(lsp: Session) -> None:
    lsp.open("scorers.py")
    (*_, score_all) = await lens_commands(lsp, "scorers.py")
    assert score_all.title == "▶ Score all 4 scorers of this file"
    assert score_all.command == "scorelens.lens.score"
    assert list(score_all.arguments or []) == [{"uri": lsp.uri("scorers.py")}]
    rescored = await lsp.request(protocol.rescore, {"uri": lsp.uri("scorers.py")})
    assert [s["name"] for s in rescored["scorers"]] == SCORER_NAMES
    assert all(s["scored"] == 3 for s in rescored["scorers"])


async def test_reverting_an_edit_drops_saved_version(lsp: Session) -> None:
    lsp.open("scorers.py")
    await lsp.save("scorers.py", SCORERS)
    uri = lsp.uri("scorers.py")

    def change(text: str, version: int) -> None:
        lsp.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    change(SCORERS + "\n# an unsaved edit\n", 3)
    edited = await lsp.lenses("scorers.py")
    assert all(t.endswith("(saved version)") for t in edited if t != "Results"), edited
    change(SCORERS, 4)  # File: Revert File, or undo back to the saved text
    reverted = await lsp.lenses("scorers.py")
    assert not any("(saved version)" in t for t in reverted), reverted


async def test_a_cell_that_was_an_error_says_so(lsp: Session) -> None:
    failing = "from scorelens.genai.scorers import scorer\n\n@scorer\ndef ratio(outputs):\n"
    (lsp.root / "ratio.py").write_text(failing + "    return 1 / 0\n")
    lsp.open("ratio.py")
    await lsp.save("ratio.py", failing + "    return 1 / 0\n")
    await lsp.save("ratio.py", failing + "    return 0.5\n", 3)
    rows = await lsp.request(
        protocol.result_rows, {"scorers": [{"uri": lsp.uri("ratio.py"), "name": "ratio"}]}
    )
    cells = [row["cells"][f"{lsp.uri('ratio.py')}#ratio"] for row in rows["rows"]]
    assert len(cells) == 3
    for cell in cells:
        assert cell["value"] == 0.5 and cell["changed"] is True
        assert cell["previous"] is None
        assert "ZeroDivisionError" in cell["previousError"]


async def test_a_chosen_trace_set_survives_a_restart_until_new_traces_are_generated(
    workspace: Path, openai_env: str
) -> None:
    first = await start(workspace)
    try:
        older = (await first.request(protocol.list_runs))["active"]
        record_traces(workspace, "support.jsonl")
        assert (await first.request(protocol.list_runs))["active"]["traceCount"] == 56
        await first.request(protocol.select_trace_set, {"runId": older["runId"]})
    finally:
        await first.client.shutdown_session()

    second = await start(workspace)
    try:
        status = await second.warm()
        assert status["traceSet"] == older  # not the newer run
        rows = json.loads((FIXTURES / "datasets" / "seed.json").read_text())[:2]
        (workspace / "two.json").write_text(json.dumps(rows))
        generated = await second.request(
            protocol.generate_traces, {"dataset": "two.json", "app": "sample_app.py:sample_app"}
        )
        active = (await second.request(protocol.list_runs))["active"]
        assert active == {"runId": generated["runId"], "traceCount": 2}
    finally:
        await second.client.shutdown_session()


async def test_same_named_scorers_of_two_files_are_two_columns(lsp: Session) -> None:
    lsp.open("scorers.py")
    await lsp.save("scorers.py", SCORERS)
    other = "from scorelens.genai.scorers import scorer\n\n@scorer\ndef response_length(outputs):\n"
    other += "    return -1\n"
    (lsp.root / "other.py").write_text(other)
    lsp.open("other.py")
    await lsp.save("other.py", other)
    wanted = [
        {"uri": lsp.uri("scorers.py"), "name": "response_length"},
        {"uri": lsp.uri("other.py"), "name": "response_length"},
    ]
    rows = await lsp.request(protocol.result_rows, {"scorers": wanted})
    keys = [f"{w['uri']}#{w['name']}" for w in wanted]
    assert [f"{c['uri']}#{c['name']}" for c in rows["columns"]] == keys
    assert set(rows["distributions"]) == set(keys)
    for row in rows["rows"]:
        ours, theirs = (row["cells"][k]["value"] for k in keys)
        assert ours == len(row["outputPreview"]) or len(row["outputPreview"]) == 160
        assert theirs == -1
