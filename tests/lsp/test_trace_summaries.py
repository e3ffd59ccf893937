"""The server keeps the active traces' ids and summaries, not the traces (issue 11: 100,000
traces in the editor). Panel pages carry each trace's previews and state from the store's
summaries, a trace opened is read whole from the store, a store written before summaries
existed is read (and given them), traces stored later are followed, and what the worker keeps
still gives scorers expectations logged later and whole traces."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from lsprotocol import types

import scorelens
from scorelens.entities import Trace
from scorelens.lsp import protocol
from scorelens.store.tinydb_files import open_db, read_table
from scorelens.text_preview import preview
from tests.lsp.conftest import Session, record_traces, start

LENGTH = """from scorelens.genai.scorers import scorer


@scorer
def length(outputs) -> int:
    return len(outputs){extra}
"""

READERS = """from scorelens.genai.scorers import scorer


@scorer
def tone(expectations) -> str:
    return str(expectations.get("tone"))


@scorer
def spans(trace) -> int:
    return len(trace.data.spans)
"""


def stored(root: Path, run_id: str | None = None) -> dict[str, Trace]:
    """The store's traces, by id, read through the library: what the server's rows describe."""
    scorelens.set_tracking_uri(root / ".scorelens")
    found = scorelens.search_traces(run_id=run_id, return_type="list")
    return {t.trace_id: t for t in found}


def assert_describes(row: dict[str, Any], trace: Trace) -> None:
    assert row["inputPreview"] == preview(trace.inputs, 160)
    assert row["outputPreview"] == preview(trace.outputs, 160)
    assert row["state"] == str(trace.info.state)


async def store_changed(lsp: Session, path: Path, traces: int) -> None:
    """Tell the server, as the editor's file watcher does, of a new file in the store; wait
    until it says the trace set now holds `traces` traces."""
    seen = len(lsp.received[protocol.status])
    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=path.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    for _ in range(1000):
        if any(s["traceSet"]["traceCount"] == traces for s in lsp.received[protocol.status][seen:]):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the server did not announce {traces} traces")


async def test_panel_pages_carry_each_traces_previews_and_state(
    lsp: Session, openai_env: str
) -> None:
    await lsp.warm()
    run_id = record_traces(lsp.root, "support.jsonl")  # the latest run: the active set
    traces = stored(lsp.root, run_id)
    assert len(traces) == 56
    seen: list[str] = []
    for offset in (0, 20, 40):
        page = await lsp.request(protocol.result_rows, {"offset": offset, "limit": 20})
        assert page["total"] == 56
        assert len(page["rows"]) == (20 if offset < 40 else 16)
        for row in page["rows"]:
            assert_describes(row, traces[row["traceId"]])
            seen.append(row["traceId"])
    assert sorted(seen) == sorted(traces)

    # Sorted by a column, the page is made of other traces: their previews come along.
    (lsp.root / "length.py").write_text(LENGTH.format(extra=""))
    lsp.open("length.py")
    await lsp.save("length.py", LENGTH.format(extra=" + 0"))
    column = [{"uri": lsp.uri("length.py"), "name": "length"}]
    key = f"{lsp.uri('length.py')}#length"
    longest = await lsp.request(
        protocol.result_rows,
        {"scorers": column, "sortBy": key, "descending": True, "limit": 3},
    )
    lengths = sorted((len(t.outputs) for t in traces.values()), reverse=True)
    assert [r["cells"][key]["value"] for r in longest["rows"]] == lengths[:3]
    for row in longest["rows"]:
        assert_describes(row, traces[row["traceId"]])

    whole = await lsp.request(protocol.get_trace, {"traceId": longest["rows"][0]["traceId"]})
    assert whole["trace"] == json.loads(traces[longest["rows"][0]["traceId"]].to_json())


async def test_a_store_from_before_summaries_is_read_and_given_them(workspace: Path) -> None:
    store = workspace / ".scorelens"
    shutil.rmtree(store / "summaries")  # as a store written by an older ScoreLens has none
    traces = stored(workspace)
    lsp = await start(workspace)
    try:
        assert (await lsp.warm())["traceSet"]["traceCount"] == 3
        rows = (await lsp.request(protocol.result_rows, {}))["rows"]
        assert sorted(r["traceId"] for r in rows) == sorted(traces)
        for row in rows:
            assert_describes(row, traces[row["traceId"]])
        opened = await lsp.request(protocol.get_trace, {"traceId": rows[0]["traceId"]})
        assert opened["trace"]["info"]["trace_id"] == rows[0]["traceId"]
        lsp.open("scorers.py")
        assert "3 traces" in (await lsp.lenses("scorers.py"))[0]
    finally:
        await lsp.client.shutdown_session()
    segments = sorted(p.name for p in (store / "traces").glob("*/*.json"))
    assert sorted(p.name for p in (store / "summaries").glob("*/*.json")) == segments


async def test_traces_stored_later_are_followed(lsp: Session, workspace: Path) -> None:
    await lsp.warm()
    await lsp.request(protocol.select_trace_set, {"runId": None})  # every stored trace
    scorelens.set_tracking_uri(workspace / ".scorelens")

    @scorelens.trace
    def echo(question: str) -> str:
        return f"You asked: {question}"

    for count, question in ((4, "asked later"), (5, "asked later still")):
        echo(question)
        scorelens.flush_traces()
        # Recorded outside any run, in the Default experiment: a new segment of its own group.
        newest = max((workspace / ".scorelens" / "traces" / "exp-0").glob("*.json"))
        await store_changed(lsp, newest, count)
        rows = (await lsp.request(protocol.result_rows, {}))["rows"]
        assert len(rows) == count
        (added,) = [r for r in rows if r["inputPreview"] == question]
        assert added["outputPreview"] == f"You asked: {question}"


async def test_scorers_get_expectations_logged_later_and_whole_traces(
    lsp: Session, workspace: Path
) -> None:
    (lsp.root / "readers.py").write_text(READERS)
    lsp.open("readers.py")
    await lsp.warm()
    await lsp.save("readers.py", READERS)
    uri = lsp.uri("readers.py")
    columns = [{"uri": uri, "name": "tone"}, {"uri": uri, "name": "spans"}]
    rows = (await lsp.request(protocol.result_rows, {"scorers": columns}))["rows"]
    assert [r["cells"][f"{uri}#spans"]["value"] for r in rows] == [2, 2, 2]
    assert [r["cells"][f"{uri}#tone"]["value"] for r in rows] == ["None"] * 3

    scorelens.set_tracking_uri(workspace / ".scorelens")
    scorelens.log_expectation(trace_id=rows[1]["traceId"], name="tone", value="warm")
    await lsp.request(protocol.rescore, {"uri": uri, "name": "tone"})
    rows = (await lsp.request(protocol.result_rows, {"scorers": columns}))["rows"]
    assert [r["cells"][f"{uri}#tone"]["value"] for r in rows] == ["None", "warm", "None"]


async def test_stored_results_stay_readable_by_older_versions_and_from_them(
    workspace: Path,
) -> None:
    (workspace / "length.py").write_text(LENGTH.format(extra=""))
    lsp = await start(workspace)
    try:
        await lsp.warm()
        lsp.open("length.py")
        saved = await lsp.save("length.py", LENGTH.format(extra=" + 1"))
        (summary,) = saved["changed"]
    finally:
        await lsp.client.shutdown_session()  # writes what is not written yet
    results = workspace / ".scorelens" / "results" / f"{summary['hash']}.json"
    rows = read_table(str(results), "rows")  # TinyDB, as every version reads it
    assert len(rows) == 3
    assert all({"traceId", "name", "value", "rationale", "error"} <= row.keys() for row in rows)

    # Rows as versions before this one wrote them, every field present: read as they are.
    with open_db(str(results)) as db:
        table = db.table("rows")
        table.truncate()
        table.insert_multiple(
            {
                "traceId": row["traceId"],
                "name": "length",
                "value": 1000,
                "rationale": None,
                "error": None,
                "errorKind": None,
                "errorLine": None,
                "durationMs": 0.01,
                "judge": [],
            }
            for row in rows
        )
    lsp = await start(workspace)
    try:
        lsp.open("length.py")
        assert (await lsp.lenses("length.py"))[0].startswith("length · mean 1,000")
        await lsp.warm()
    finally:
        await lsp.client.shutdown_session()
