"""Long runs show cancellable progress; a newer save cancels an older run of the same file."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from scorelens.lsp import protocol
from tests.lsp.conftest import Session

SLOW = """import time
from scorelens.genai.scorers import scorer


@scorer
def steady(outputs):
    time.sleep({delay})
    return {value}
"""


def slow(delay: float, value: int) -> str:
    return SLOW.format(delay=delay, value=value)


def save_without_waiting(lsp: Session, name: str, text: str) -> None:
    (lsp.root / name).write_text(text)
    lsp.client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=lsp.uri(name))
        )
    )


async def wait_for_progress_begin(lsp: Session, timeout: float = 20) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for token, reports in lsp.client.progress_reports.items():
            if any(isinstance(r, types.WorkDoneProgressBegin) for r in reports) and not any(
                isinstance(r, types.WorkDoneProgressEnd) for r in reports
            ):
                return str(token)
        await asyncio.sleep(0.05)
    raise AssertionError("no progress began")


async def test_long_run_reports_progress(lsp: Session) -> None:
    await lsp.warm()
    (lsp.root / "steady.py").write_text(slow(0.25, 1))
    lsp.open("steady.py")
    await lsp.save("steady.py", slow(0.25, 1))
    # The status bar follows the server: running while the run lasts, ready when it ends.
    states = [(s["state"], s["message"]) for s in lsp.received[protocol.status]]
    assert states[-2:] == [("running", "scoring steady.py"), ("ready", "scored steady.py")]
    (reports,) = lsp.client.progress_reports.values()
    begin, *middle, end = reports
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.cancellable
    assert begin.title == "Scoring steady.py"
    assert any(
        isinstance(r, types.WorkDoneProgressReport) and "steady: " in (r.message or "")
        for r in middle
    )
    assert isinstance(end, types.WorkDoneProgressEnd)


async def test_a_quick_save_refreshes_the_lenses_once_and_shows_no_progress(
    lsp: Session,
) -> None:
    status = await lsp.warm()
    assert status == {"state": "ready", "message": "ready", "traceSet": status["traceSet"]}
    assert status["traceSet"]["traceCount"] == 3
    (lsp.root / "steady.py").write_text(slow(0, 1))
    lsp.open("steady.py")
    await lsp.save("steady.py", slow(0, 1))
    progress, refreshes = dict(lsp.client.progress_reports), lsp.lens_refreshes
    statuses = len(lsp.received[protocol.status])
    # Saved again unchanged, every result is cached: no worker, no progress, no status, and the
    # lenses are asked for once.
    again = await lsp.save("steady.py", slow(0, 1), 3)
    assert again["workerCalled"] is False and again["changed"] == []
    assert lsp.client.progress_reports == progress
    assert lsp.lens_refreshes == refreshes + 1
    assert len(lsp.received[protocol.status]) == statuses


async def test_newer_save_cancels_the_older_run(lsp: Session) -> None:
    (lsp.root / "steady.py").write_text(slow(2, 1))
    lsp.open("steady.py")
    save_without_waiting(lsp, "steady.py", slow(2, 1))
    await wait_for_progress_begin(lsp)
    await lsp.save("steady.py", slow(0, 7), 3)
    (only,) = lsp.received[protocol.scores_changed]  # the slow run never reported
    assert only["changed"][0]["aggregates"][0]["value"] == 7
    assert (await lsp.lenses("steady.py"))[0].startswith("steady · mean 7 · 3 traces")


async def test_cancelling_progress_stops_the_run(lsp: Session) -> None:
    (lsp.root / "steady.py").write_text(slow(2, 1))
    lsp.open("steady.py")
    save_without_waiting(lsp, "steady.py", slow(2, 1))
    token = await wait_for_progress_begin(lsp)
    lsp.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    for _ in range(100):
        if isinstance(lsp.client.progress_reports[token][-1], types.WorkDoneProgressEnd):
            break
        await asyncio.sleep(0.05)
    assert isinstance(lsp.client.progress_reports[token][-1], types.WorkDoneProgressEnd)
    assert (await lsp.lenses("steady.py"))[0] == "▶ Score 3 traces"
    # The worker is free again: a quick scorer answers at once.
    changed = await lsp.save("steady.py", slow(0, 5), 3)
    assert changed["changed"][0]["aggregates"][0]["value"] == 5
