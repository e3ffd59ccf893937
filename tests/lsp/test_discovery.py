"""Scorers are found without importing user code, in every decorator spelling, MLflow's too."""

from __future__ import annotations

from lsprotocol import types

from scorelens.lsp import protocol
from tests.lsp.conftest import Session

MLFLOW_STYLE = """import mlflow
from mlflow.entities import Feedback
from mlflow.genai.scorers import scorer
from mlflow.genai import scorers


@scorer
def plain(outputs: str) -> int:
    return len(outputs)


@scorer(name="renamed", aggregations=["min", "max"])
def with_arguments(outputs: str) -> Feedback:
    return Feedback(value=len(outputs) > 10, rationale="long enough")


@scorers.scorer
def via_module(outputs: str) -> bool:
    return "$" in outputs


@mlflow.genai.scorers.scorer
def fully_dotted(trace) -> int:
    return len(trace.spans)


def not_a_scorer(outputs):
    return 0
"""


async def test_mlflow_style_file_is_discovered_and_runs_unchanged(lsp: Session) -> None:
    (lsp.root / "mlflow_scorers.py").write_text(MLFLOW_STYLE)
    lsp.open("mlflow_scorers.py")
    changed = await lsp.save("mlflow_scorers.py", MLFLOW_STYLE)
    by_name = {s["name"]: s for s in changed["changed"]}
    assert set(by_name) == {"plain", "renamed", "via_module", "fully_dotted"}
    assert all(s["state"] == "scored" and s["errors"] == 0 for s in by_name.values())
    assert [a["name"] for a in by_name["renamed"]["aggregates"]] == ["min", "max"]
    assert by_name["via_module"]["passed"] is not None
    assert by_name["fully_dotted"]["aggregates"][0]["value"] == 2  # root span + chat model span


async def scorer_names(lsp: Session) -> set[str]:
    listed = await lsp.request(protocol.result_rows, {"limit": 0})
    return {s["name"] for s in listed["columns"]}


async def test_files_changed_outside_the_editor_are_rescanned(lsp: Session) -> None:
    assert await scorer_names(lsp) == {
        "response_length",
        "mentions_expected_facts",
        "llm_tokens",
        "is_polite",
    }
    (lsp.root / "extra.py").write_text(
        "from scorelens.genai.scorers import scorer\n\n@scorer\ndef added(outputs):\n    return 1\n"
    )
    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=lsp.uri("extra.py"), type=types.FileChangeType.Created)]
        )
    )
    assert "added" in await scorer_names(lsp)
    (lsp.root / "extra.py").unlink()
    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=lsp.uri("extra.py"), type=types.FileChangeType.Deleted)]
        )
    )
    assert "added" not in await scorer_names(lsp)
