"""In an untrusted workspace no user code runs, and the lenses say why."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from scorelens.lsp import protocol
from tests.lsp.conftest import SCORERS, start


async def test_untrusted_workspace_runs_nothing(workspace: Path) -> None:
    lsp = await start(workspace, {"trusted": False})
    try:
        lsp.open("scorers.py")
        titles = await lsp.lenses("scorers.py")
        assert titles == [
            "response_length · ScoreLens is off: this workspace is not trusted",
            "mentions_expected_facts · ScoreLens is off: this workspace is not trusted",
            "llm_tokens · ScoreLens is off: this workspace is not trusted",
            "is_polite · ScoreLens is off: this workspace is not trusted",
        ]
        changed = await lsp.save("scorers.py", SCORERS)
        assert changed["workerCalled"] is False
        with pytest.raises(JsonRpcException, match="not trusted"):
            await lsp.request(
                protocol.generate_traces,
                {"dataset": "data.json", "app": "sample_app.py:sample_app"},
            )
        assert not (workspace / ".scorelens" / "results").exists()
    finally:
        await lsp.client.shutdown_session()
