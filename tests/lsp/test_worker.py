"""User code runs in the worker: hangs are killed, crashes restart it, prints stay out of LSP."""

from __future__ import annotations

import asyncio

import pytest

from tests.lsp.conftest import Session

HANGING = """
import time
from scorelens.genai.scorers import scorer

@scorer
def hangs(outputs):
    time.sleep(3600)
"""

CRASHING = """
import os
from scorelens.genai.scorers import scorer

@scorer
def crashes(outputs):
    os._exit(3)
"""

EXITING = """
import sys
from scorelens.genai.scorers import scorer

@scorer
def exits(outputs):
    sys.exit("bye")
"""

FINE = """
from scorelens.genai.scorers import scorer

@scorer
def chatty(outputs):
    print("SCORER-SAYS-HELLO")
    return len(outputs)
"""


@pytest.mark.parametrize("lsp", [{"scorerTimeoutSeconds": 3}], indirect=True)
async def test_hanging_scorer_is_killed_and_reported(lsp: Session) -> None:
    (lsp.root / "slow.py").write_text(HANGING)
    lsp.open("slow.py")
    changed = await lsp.save("slow.py", HANGING)
    (summary,) = changed["changed"]
    assert summary["state"] == "error"
    # The trace it hung on, or the traces scored at once when it hung on them all.
    assert "'hangs' ran past the 3 s timeout on trace" in summary["message"]
    assert " tr-" in summary["message"]
    assert (await lsp.lenses("slow.py"))[0].startswith("hangs · ⚠ scorer 'hangs' ran past")
    diagnostics = lsp.client.diagnostics[lsp.uri("slow.py")]
    assert "ran past the 3 s timeout" in diagnostics[0].message
    # The server is fine, and a good scorer runs on a fresh worker.
    (lsp.root / "fine.py").write_text(FINE)
    lsp.open("fine.py")
    fine = await lsp.save("fine.py", FINE)
    assert fine["changed"][0]["state"] == "scored"


@pytest.mark.parametrize(("source", "name"), [(CRASHING, "crashes"), (EXITING, "exits")])
async def test_crashing_worker_is_reported_and_restarted(
    lsp: Session, source: str, name: str
) -> None:
    (lsp.root / "bad.py").write_text(source)
    lsp.open("bad.py")
    changed = await lsp.save("bad.py", source)
    (summary,) = changed["changed"]
    assert summary["state"] == "error"
    assert "the worker exited with code" in summary["message"]
    # "trace tr-…", or "traces tr-…, tr-… (scored at once)" when it went down with several.
    assert f"while scorer '{name}' was scoring trace" in summary["message"]
    assert "tr-" in summary["message"]
    (lsp.root / "fine.py").write_text(FINE)
    lsp.open("fine.py")
    fine = await lsp.save("fine.py", FINE)
    assert fine["changed"][0]["state"] == "scored"
    assert fine["changed"][0]["scored"] == 3


async def test_user_prints_go_to_the_log_not_the_protocol(lsp: Session) -> None:
    (lsp.root / "fine.py").write_text(FINE)
    lsp.open("fine.py")
    changed = await lsp.save("fine.py", FINE)
    assert changed["changed"][0]["aggregates"][0]["name"] == "mean"
    # Once per trace. The log trails the answer, and traces are scored at once in threads,
    # so two prints may share a line: count the words, as they arrive.
    for _ in range(100):
        said = sum(m.message.count("SCORER-SAYS-HELLO") for m in lsp.client.log_messages)
        if said >= 3:
            break
        await asyncio.sleep(0.05)
    assert said == 3
