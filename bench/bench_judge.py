"""A judge scorer against a slow model: what concurrency and the judge-call cache save.

    python bench/bench_judge.py [N] [--latency-ms MS] [--quick]

N stored traces (default 1,000; --quick: 50), each with its own answer, re-scored by one judge
scorer (fixtures/scorers.py's is_polite) that asks the loopback OpenAI server, which holds every
model call MS milliseconds (default 200). It prints:

(a) a cold cache at the default concurrency (SCORELENS_MAX_WORKERS, else 10) and a sequential
    run (max_workers=1, the cache cleared before each), with their ratio;
(b) the reply's parsing edited, then re-scored: model calls (0 expected) and the time;
(c) the prompt edited, then re-scored: new model calls (N expected) and the time;
(d) in the editor (a language server over stdio, on the same traces): the reply's parsing
    edited and saved seven times, from each save to the lens: model calls (0 expected) and
    the median time.

The edits are made to a copy of fixtures/scorers.py, loaded as `scorelens score` loads it.
Model calls are those the server counted. Re-scoring is `evaluate` on the loaded traces, as
the language server re-scores what it holds. Everything is written under a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the fixtures package

from fixtures.openai_server import ANSWERS, FALLBACK, LoopbackServer  # noqa: E402

import scorelens  # noqa: E402
from scorelens.genai import evaluate  # noqa: E402
from scorelens.genai.evaluation import generate_traces  # noqa: E402
from scorelens.genai.scorer_pool import max_workers  # noqa: E402
from scorelens.genai.scorers import Scorer  # noqa: E402
from scorelens.judging import JudgeCache  # noqa: E402
from scorelens.user_modules import load_scorers  # noqa: E402

COLD_TARGET_S = 30.0  # the figure for 1,000 traces at 200 ms a call
EDITOR_TARGET_S = 0.15  # save to lens after a parsing edit, 1,000 traces
CANNED = [answer for _, answer in ANSWERS] + [FALLBACK]
SCORERS = (REPO / "fixtures" / "scorers.py").read_text()
PARSING = 'return reply.strip().lower().startswith("yes")'
PROMPT = "Is the answer below polite?"


@scorelens.trace
def support_app(number: int) -> str:
    # A ticket number makes every answer, so every judge prompt, different: none is a repeat.
    return f"{CANNED[number % len(CANNED)]} (ticket #{number})"


def judge_in(folder: Path, edit: tuple[str, str] | None = None) -> Scorer:
    """is_polite as fixtures/scorers.py defines it, with `edit` (old text, new) made first."""
    source = SCORERS
    if edit is not None:
        assert SCORERS.count(edit[0]) == 1, f"fixtures/scorers.py no longer says {edit[0]!r}"
        source = SCORERS.replace(*edit)
    path = folder / f"scorers_{len(list(folder.glob('scorers_*.py')))}.py"
    path.write_text(source)
    return next(s for s in load_scorers(str(path)) if s.name == "is_polite")


def timed_calls(server: LoopbackServer, action: Callable[[], Any]) -> tuple[float, int]:
    """Seconds the action took, and the model calls the server received meanwhile."""
    before = server.model_calls
    started = time.perf_counter()
    action()
    return time.perf_counter() - started, server.model_calls - before


async def editor_parsing_edit(
    workspace: Path, server: LoopbackServer, saves: int = 7
) -> tuple[float, float, int, str]:
    """From saving a parsing edit of is_polite to its lens: the median and slowest of `saves`
    saves (each a different parsing), the model calls they made, and the last lens. The file
    was saved once before, unedited, so every answer is in the cache."""
    sys.path.insert(0, str(REPO / "bench"))
    from bench_lsp import Editor

    (workspace / "scorers.py").write_text(SCORERS)
    editor = Editor(workspace)
    await editor.start()
    timings = []
    try:
        await editor.save_and_read_lens(SCORERS, "")
        before = server.model_calls
        for number in range(saves):
            # Saves a second apart, as a person makes them: the processes use such pauses to
            # collect garbage, which a run would otherwise stop for now and then.
            await asyncio.sleep(1)
            # A new parsing each save, so every save re-scores (none is an unchanged save).
            reparsed = SCORERS.replace(PARSING, f'return "yes" in reply.lower()[: {50 + number}]')
            elapsed, _ = await editor.save_and_read_lens(reparsed, "")
            timings.append(elapsed)
        calls = server.model_calls - before
        lens = next(t for t in await editor.titles() if t.startswith("is_polite"))
    finally:
        await editor.stop()
    return statistics.median(timings), max(timings), calls, lens


def bench(n: int, latency_ms: float) -> None:
    with tempfile.TemporaryDirectory() as folder, LoopbackServer(latency_ms=latency_ms) as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = "sk-bench"
        workspace = Path(folder) / "workspace"
        copies = Path(folder) / "copies"
        copies.mkdir()
        workspace.mkdir()
        store = workspace / ".scorelens"
        scorelens.set_tracking_uri(store)
        generate_traces([{"inputs": {"number": i}} for i in range(n)], support_app)
        traces = scorelens.search_traces()
        cache = JudgeCache(str(store))
        judge = judge_in(copies)
        reparsed = judge_in(copies, (PARSING, 'return "yes" in reply.lower()'))
        reworded = judge_in(copies, (PROMPT, "Is the answer below courteous?"))

        def rescore(judge: Scorer, workers: int | None = None) -> Callable[[], Any]:
            return lambda: evaluate(traces, scorers=[judge], max_workers=workers)

        sequential_s, sequential_calls = timed_calls(server, rescore(judge, 1))
        cache.clear()
        cold_s, cold_calls = timed_calls(server, rescore(judge))
        parsing_s, parsing_calls = timed_calls(server, rescore(reparsed))
        prompt_s, prompt_calls = timed_calls(server, rescore(reworded))
        editor_s, editor_max_s, editor_calls, lens = asyncio.run(
            editor_parsing_edit(workspace, server)
        )

    workers = max_workers()
    print(f"N = {n:,} traces, one judge scorer, {latency_ms:g} ms per model call (loopback)")
    print(_line(f"(a) cold cache, {workers} workers", cold_s, cold_calls))
    print(_line("    cold cache, sequential", sequential_s, sequential_calls))
    target = ""
    if n == 1000 and latency_ms == 200:
        target = (
            f"   target {COLD_TARGET_S:.0f} s: {'met' if cold_s <= COLD_TARGET_S else 'MISSED'}"
        )
    print(f"{'    sequential / concurrent':<30}{sequential_s / cold_s:8.1f} x" + target)
    print(_line("(b) reply parsing edited", parsing_s, parsing_calls))
    print(_line("(c) prompt edited", prompt_s, prompt_calls))
    met = "met" if editor_s <= EDITOR_TARGET_S else "MISSED"
    print(
        _line("(d) editor: parsing edited", editor_s, editor_calls)
        + f"   save to lens (median of 7, max {editor_max_s:.2f} s),"
        + f" target {EDITOR_TARGET_S * 1000:.0f} ms: {met}"
    )
    print(f"    {lens}")


def _line(label: str, seconds: float, calls: int) -> str:
    return f"{label:<30}{seconds:8.2f} s  {calls:6,} model calls"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", nargs="?", type=int, help="stored traces (default 1,000)")
    parser.add_argument("--quick", action="store_true", help="50 traces unless N is given")
    parser.add_argument("--latency-ms", type=float, default=200, help="per model call")
    args = parser.parse_args(argv)
    bench(args.n or (50 if args.quick else 1000), args.latency_ms)


if __name__ == "__main__":
    main(sys.argv[1:])
