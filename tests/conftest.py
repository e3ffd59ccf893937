from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.openai_server import LoopbackServer

import scorelens

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture
def store_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh store for this test, made current for the in-process API."""
    root = tmp_path / "store"
    scorelens.set_tracking_uri(root)
    scorelens.set_experiment("Default")
    yield root
    scorelens.flush_traces()


@pytest.fixture(scope="session")
def openai_server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def openai_env(openai_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback-test-key")
    return openai_server.base_url


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The installed `scorelens` command, as a user runs it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "scorelens", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """The command failed as the CLI promises: status 1 and one line naming the problem."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("scorelens: error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
