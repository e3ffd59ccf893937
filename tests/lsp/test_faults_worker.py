"""Faults in user code the worker runs: each one costs that scorer only, and is named clearly."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from scorelens.lsp import protocol
from scorelens.lsp.worker_client import MAX_LINES_PER_REQUEST, MAX_OUTPUT_PER_REQUEST
from tests.lsp.conftest import Session

# A duration no other process on the machine uses, to find the child afterwards.
SLEEP = "41.379"

STARTS_A_CHILD = f"""
import subprocess
from scorelens.genai.scorers import scorer

@scorer
def waits_on_child(outputs):
    subprocess.run(["sleep", "{SLEEP}"])
    return 1
"""

SIBLINGS = """
import time
from scorelens.genai.scorers import scorer

@scorer
def before(outputs):
    return len(outputs)

@scorer
def hangs(outputs):
    time.sleep(3600)

@scorer
def after(outputs):
    return {after}
"""

SEGFAULTS = """
import ctypes
from scorelens.genai.scorers import scorer

@scorer
def segfaults(outputs):
    # A real segfault, in the thread that scores this trace (traces are scored at once).
    if "return" in outputs.lower():
        ctypes.string_at(0)
    return 1
"""

FLOODS = """
from scorelens.genai.scorers import scorer

@scorer
def floods(outputs):
    print("x" * 1_000_000)  # one megabyte on one line
    print("\\n".join(f"line {i}" for i in range(20_000)))  # and many short ones
    return 1
"""


def sleepers() -> list[str]:
    found = subprocess.run(["pgrep", "-f", f"sleep {SLEEP}"], capture_output=True, text=True)
    return found.stdout.split()


@pytest.mark.parametrize("lsp", [{"scorerTimeoutSeconds": 3}], indirect=True)
async def test_a_scorer_that_starts_a_child_is_stopped_at_the_timeout(
    lsp: Session,
) -> None:
    (lsp.root / "child.py").write_text(STARTS_A_CHILD)
    lsp.open("child.py")
    # The child sleeps 41 s; the report must come with the 3 s timeout, not after the child.
    changed = await asyncio.wait_for(lsp.save("child.py", STARTS_A_CHILD), 25)
    (summary,) = changed["changed"]
    assert "'waits_on_child' ran past the 3 s timeout" in summary["message"]
    for _ in range(50):
        if not sleepers():
            break
        await asyncio.sleep(0.1)
    assert sleepers() == [], "the scorer's child process outlived the timeout"
    # Saves of other files do not wait behind it.
    fine = (
        "from scorelens.genai.scorers import scorer\n\n@scorer\ndef fine(outputs):\n    return 2\n"
    )
    (lsp.root / "fine.py").write_text(fine)
    lsp.open("fine.py")
    done = await asyncio.wait_for(lsp.save("fine.py", fine), 25)
    assert done["changed"][0]["state"] == "scored"


@pytest.mark.parametrize("lsp", [{"scorerTimeoutSeconds": 3}], indirect=True)
async def test_a_hanging_scorer_costs_only_itself(lsp: Session) -> None:
    source = SIBLINGS.format(after=7)
    (lsp.root / "siblings.py").write_text(source)
    lsp.open("siblings.py")
    changed = await lsp.save("siblings.py", source)
    by_name = {s["name"]: s for s in changed["changed"]}
    assert by_name["before"]["state"] == "scored" and by_name["before"]["scored"] == 3
    assert by_name["after"]["state"] == "scored" and by_name["after"]["scored"] == 3
    assert by_name["hangs"]["state"] == "error"
    # The trace it hung on (or, had it hung in the pool, the traces scored at once).
    assert "'hangs' ran past the 3 s timeout on trace" in by_name["hangs"]["message"]
    assert " tr-" in by_name["hangs"]["message"]

    # Editing a sibling re-runs that sibling only: the hanging version is not tried again.
    edited = SIBLINGS.format(after=8)
    again = await asyncio.wait_for(lsp.save("siblings.py", edited, 3), 25)
    after = next(s for s in again["changed"] if s["name"] == "after")
    assert after["aggregates"][0]["value"] == 8
    titles = await lsp.lenses("siblings.py")
    assert any(t.startswith("hangs · ⚠ scorer 'hangs' ran past") for t in titles), titles
    killed = [m.message for m in lsp.client.log_messages if m.message.endswith(") killed")]
    assert len(killed) == 1, killed

    # Asked explicitly, it runs again (and is stopped again).
    rescored = await lsp.request(protocol.rescore, {"uri": lsp.uri("siblings.py"), "name": "hangs"})
    assert "ran past the 3 s timeout" in rescored["scorers"][0]["message"]


async def test_a_crash_names_the_signal_the_scorer_and_the_trace(lsp: Session) -> None:
    await lsp.warm()  # so the log already holds the worker's "warm" line
    (lsp.root / "crash.py").write_text(SEGFAULTS)
    lsp.open("crash.py")
    changed = await lsp.save("crash.py", SEGFAULTS)
    (summary,) = changed["changed"]
    rows = await lsp.request(protocol.result_rows, {})
    (culprit,) = [r["traceId"] for r in rows["rows"] if "return" in r["outputPreview"].lower()]
    message = summary["message"]
    assert "killed by SIGSEGV" in message, message
    # Of the traces scored at once, the crash dump names the thread that crashed: its trace.
    assert f"scorer 'segfaults' was scoring trace {culprit};" in message, message
    assert "warm #" not in message and "code -11" not in message
    logged = "\n".join(m.message for m in lsp.client.log_messages)
    assert "Segmentation fault" in logged  # the Python stack went to the log


async def test_what_a_scorer_prints_is_capped_in_the_editor_log(lsp: Session) -> None:
    (lsp.root / "floods.py").write_text(FLOODS)
    lsp.open("floods.py")
    changed = await lsp.save("floods.py", FLOODS)
    assert changed["changed"][0]["state"] == "scored"
    await asyncio.sleep(0.5)  # the log's tail arrives after the answer
    logged = [m.message for m in lsp.client.log_messages]
    assert max(len(m) for m in logged) < 5_000
    assert sum(len(m) for m in logged) < 2 * MAX_OUTPUT_PER_REQUEST
    assert len(logged) < 2 * MAX_LINES_PER_REQUEST
    assert any("characters cut" in m for m in logged)
    assert any("bytes of output were not shown" in m for m in logged), logged[-5:]
