"""A workspace's own modules never stand in for the server's or the worker's.

Editors start the language server in the workspace, so `python -m scorelens.lsp` would find a
workspace `json.py` before the real one. These workspaces hold such files.
"""

from __future__ import annotations

from pathlib import Path

from tests.lsp.conftest import start

MARKER = "IMPORTED-FROM-WORKSPACE"

# Modules the server or worker import, each replaced by a workspace file that breaks or spies.
SHADOWS = {
    "uuid.py": f"open({MARKER!r}, 'w').write('uuid.py ran')\n",
    "secrets.py": 'API_KEY = "abc"\n',
    "json.py": 'raise SystemExit("a workspace json.py was imported")\n',
    "tinydb.py": 'raise SystemExit("a workspace tinydb.py was imported")\n',
    "typing_extensions.py": 'raise SystemExit("a workspace typing_extensions.py")\n',
}

USES_A_HELPER = """
from scorelens.genai.scorers import scorer
from length_helpers import doubled

@scorer
def doubled_one(outputs):
    return doubled(1)
"""


def shadow(root: Path) -> None:
    for name, text in SHADOWS.items():
        (root / name).write_text(text)


async def test_an_untrusted_workspace_runs_none_of_its_files(workspace: Path) -> None:
    shadow(workspace)
    lsp = await start(workspace, {"trusted": False})
    try:
        status = await lsp.warm()
        assert status["state"] == "ready"
        lsp.open("scorers.py")
        titles = await lsp.lenses("scorers.py")
        assert titles[0] == "response_length · ScoreLens is off: this workspace is not trusted"
        assert not (workspace / MARKER).exists()
    finally:
        await lsp.client.shutdown_session()
    assert not (workspace / MARKER).exists()


async def test_a_trusted_workspace_runs_its_scorers_and_their_helpers_only(
    workspace: Path,
) -> None:
    shadow(workspace)
    (workspace / "length_helpers.py").write_text("def doubled(n):\n    return 2 * n\n")
    (workspace / "helped.py").write_text(USES_A_HELPER)
    lsp = await start(workspace)
    try:
        status = await lsp.warm()
        assert status["state"] == "ready", status
        lsp.open("helped.py")
        changed = await lsp.save("helped.py", USES_A_HELPER)
        (summary,) = changed["changed"]
        assert summary["state"] == "scored" and summary["scored"] == 3, summary
        assert summary["aggregates"][0]["value"] == 2
    finally:
        await lsp.client.shutdown_session()
