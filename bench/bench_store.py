"""Store and re-score speed: how fast stored traces come back and get re-scored.

    python bench/bench_store.py [N ...]        (default: 1000 10000)

For each N it records N traces with a no-op traced app (two spans, chat-shaped inputs), then
times loading them (`search_traces`), re-scoring them through `evaluate` with a trivial scorer
(which also writes N results to the store; and reading its `result_df`, built on first read),
and the floor: the same scorer in a plain loop over the already-loaded outputs; then the agreement
of N pass/fail results with N labels, which the editor works out on every save. Figures are
medians of repeated runs in this process.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import scorelens
from scorelens.genai import evaluate
from scorelens.genai.agreement import agreement
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.labels import Label
from scorelens.genai.scorers import scorer

TARGETS = {1000: (0.5, None), 10000: (3.0, 10.0)}  # (load + re-score s, generate s)
AGREEMENT_TARGETS = {10000: 0.010}  # s


@scorelens.trace
def chat_model(messages: list[dict[str, str]]) -> str:
    return "Our countertop microwaves cost $89 to $249. " * 3


@scorelens.trace
def app(messages: list[dict[str, str]]) -> str:
    return chat_model([{"role": "system", "content": "You are helpful."}, *messages])


def length_of(outputs: str) -> int:
    return len(outputs)


response_length = scorer(name="response_length")(length_of)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench(n: int) -> None:
    with tempfile.TemporaryDirectory() as root:
        scorelens.set_tracking_uri(root)
        data = [
            {"inputs": {"messages": [{"role": "user", "content": f"Question number {i}?"}]}}
            for i in range(n)
        ]
        generate_s, generated = timed(lambda: generate_traces(data, app), 1)
        run_id = generated.run_id
        repeat = 5 if n <= 1000 else 3
        load_s, frame = timed(lambda: scorelens.search_traces(run_id=run_id), repeat)
        rescore_s, _ = timed(lambda: evaluate(frame, scorers=[response_length]), repeat)
        # result_df is built when first read; this is what reading it costs on top.
        with_frame_s, _ = timed(
            lambda: evaluate(frame, scorers=[response_length]).result_df, repeat
        )
        end_to_end_s, _ = timed(
            lambda: evaluate(scorelens.search_traces(run_id=run_id), scorers=[response_length]),
            repeat,
        )
        outputs = [t.outputs for t in generated.traces]
        floor_s, _ = timed(lambda: [length_of(outputs=o) for o in outputs], repeat)
        trace_bytes = len(generated.traces[0].to_json())
        results = {t.info.trace_id: (n % 2 == 0, None) for n, t in enumerate(generated.traces)}
        labels = {
            trace_id: Label(trace_id, "response_length", n % 3 == 0, None, "bench", 0, None)
            for n, trace_id in enumerate(results)
        }
        agreement_s, _ = timed(lambda: agreement(results, labels), repeat)
    target_total, target_generate = TARGETS.get(n, (None, None))
    print(f"N = {n:,} traces ({trace_bytes} bytes of JSON each)")
    print(f"  generate + store          {generate_s:8.3f} s" + _target(generate_s, target_generate))
    print(f"  load (search_traces)      {load_s:8.3f} s")
    print(f"  re-score (evaluate)       {rescore_s:8.3f} s")
    print(f"  re-score + its result_df  {with_frame_s:8.3f} s")
    print(
        f"  load + re-score           {end_to_end_s:8.3f} s" + _target(end_to_end_s, target_total)
    )
    print(f"  plain-loop floor          {floor_s:8.5f} s")
    print(f"  re-score / floor          {rescore_s / floor_s:8.0f} x")
    print(f"  (load + re-score) / floor {end_to_end_s / floor_s:8.0f} x")
    print(
        f"  agreement with N labels   {agreement_s:8.5f} s"
        + _target(agreement_s, AGREEMENT_TARGETS.get(n), digits=3)
    )


def _target(value: float, target: float | None, digits: int = 1) -> str:
    if target is None:
        return ""
    return f"   target {target:.{digits}f} s: {'met' if value <= target else 'MISSED'}"


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1000, 10000]
    for n in sizes:
        bench(n)


if __name__ == "__main__":
    main(sys.argv[1:])
