"""Code lenses: the right numbers on a fixtures workspace, updated by editing and saving."""

from __future__ import annotations

import re
from pathlib import Path

from tests.lsp.conftest import SCORERS, Session, start


async def test_lenses_before_and_after_scoring(lsp: Session) -> None:
    lsp.open("scorers.py")
    assert await lsp.lenses("scorers.py") == ["▶ Score 3 traces"] * 4 + [
        "▶ Score all 4 scorers of this file"
    ]

    changed = await lsp.save("scorers.py", SCORERS)
    assert changed["workerCalled"] is True
    assert {s["name"] for s in changed["changed"]} == {
        "response_length",
        "mentions_expected_facts",
        "llm_tokens",
        "is_polite",
    }
    titles = await lsp.lenses("scorers.py")
    length = next(t for t in titles if t.startswith("response_length"))
    assert re.fullmatch(
        r"response_length · mean [\d.,]+ · min \d+ · max \d+ · 3 traces · 0 errors", length
    )
    # The seed rows carry no expected facts, so that scorer abstains on every trace.
    assert any(t.startswith("mentions_expected_facts · ") for t in titles)
    tokens = next(t for t in titles if t.startswith("llm_tokens"))
    assert re.fullmatch(
        r"llm_tokens · mean [\d.]+ · p90 [\d.]+ · max \d+ · 3 traces · 0 errors", tokens
    )
    assert titles.count("Results") == 4
    assert lsp.lens_refreshes > 0


async def test_editing_a_scorer_changes_its_lens_and_shows_the_delta(lsp: Session) -> None:
    lsp.open("scorers.py")
    await lsp.save("scorers.py", SCORERS)
    before = next(t for t in await lsp.lenses("scorers.py") if t.startswith("response_length"))
    mean_before = float(re.search(r"mean ([\d.,]+)", before).group(1).replace(",", ""))  # type: ignore[union-attr]

    edited = SCORERS.replace('return len(outputs or "")', 'return len(outputs or "") + 10')
    changed = await lsp.save("scorers.py", edited, version=3)
    assert [s["name"] for s in changed["changed"]] == ["response_length"]  # only the edited one
    after = next(t for t in await lsp.lenses("scorers.py") if t.startswith("response_length"))
    assert f"mean {mean_before + 10:,.1f} (▲10)" in after
    assert "min" in after and "(▲10)" in after


async def test_unsaved_edits_say_figures_are_from_the_saved_version(lsp: Session) -> None:
    from lsprotocol import types

    uri = lsp.open("scorers.py")
    await lsp.save("scorers.py", SCORERS)
    lsp.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=5),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="\n\n" + SCORERS)],
        )
    )
    titles = await lsp.lenses("scorers.py")
    assert all(t.endswith("(saved version)") for t in titles if t != "Results")


async def test_results_persist_and_show_at_once_after_reopening(workspace: Path) -> None:
    first = await start(workspace)
    first.open("scorers.py")
    await first.save("scorers.py", SCORERS)
    expected = await first.lenses("scorers.py")
    await first.client.shutdown_session()

    second = await start(workspace)
    second.open("scorers.py")
    try:
        assert await second.lenses("scorers.py") == expected
        # Saving the same code again is a cache hit: no worker is involved.
        changed = await second.save("scorers.py", SCORERS)
        assert changed["workerCalled"] is False and changed["changed"] == []
    finally:
        await second.client.shutdown_session()


async def test_going_back_to_an_earlier_version_is_a_cache_hit(lsp: Session) -> None:
    lsp.open("scorers.py")
    await lsp.save("scorers.py", SCORERS)
    edited = SCORERS.replace('return len(outputs or "")', 'return 2 * len(outputs or "")')
    assert (await lsp.save("scorers.py", edited, 3))["workerCalled"] is True
    back = await lsp.save("scorers.py", SCORERS, 4)
    assert back["workerCalled"] is False
    assert [s["name"] for s in back["changed"]] == ["response_length"]
