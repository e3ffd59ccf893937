"""Scoring on Ray against scoring in one process: how close two Ray workers come to twice as fast.

    python bench/bench_ray.py [--quick | --big] [N]     (default N: 100,000; --quick 10,000;
                                                         --big 1,000,000)

Records N traces with bench_store's no-op app (batches of 1,000, so segments of 1,000 traces),
then re-scores them with its trivial scorer, `response_length`, as `scorelens score` does:
in this process (load the run's traces, score, store the results), and on a local Ray of two
CPUs started here (`scorelens score --engine ray`: the tasks read and score, this process
stores). Each is timed after a first, unmeasured run of its own, so both replace stored
results and Ray's workers have imported ScoreLens; Ray's start and that first run are printed
apart; the timed runs alternate, local then Ray. Then the same for an already loaded
`search_traces` frame (`evaluate(frame, ...)` and `engine="ray"`), where Ray's tasks read
again what this process already holds.

Efficiency per CPU is local / (2 x ray): 1.0 is twice as fast on two CPUs. Locally,
`scorelens score` also builds the `search_traces` frame, which the Ray path has no use for;
the last line compares Ray with itself on one CPU, where both sides do the same work. The load
average is printed before and after: the CPUs may be shared with other work, which slows
either side.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import ray

import scorelens
from bench_store import app, response_length
from scorelens.genai import evaluate
from scorelens.genai.evaluation import generate_traces, rescore_on_ray
from scorelens.search import stored_selection

CPUS = 2
TARGET_EFFICIENCY = 0.8


def timed(fn: Callable[[], Any], repeat: int) -> float:
    return interleaved([fn], repeat)[0]


def interleaved(fns: list[Callable[[], Any]], repeat: int) -> list[float]:
    """The median time of each, run in turn: a change in the machine's load falls on all."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, taken in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in times]


def start_ray(cpus: int) -> float:
    started = time.perf_counter()
    ray.init(address="local", num_cpus=cpus, include_dashboard=False, logging_level=logging.ERROR)
    return time.perf_counter() - started


def bench(n: int, repeat: int) -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as root:
        scorelens.set_tracking_uri(root)
        data = [
            {"inputs": {"messages": [{"role": "user", "content": f"Question number {i}?"}]}}
            for i in range(n)
        ]
        run_id = generate_traces(data, app).run_id
        scorers = [response_length]

        def local() -> None:
            evaluate(scorelens.search_traces(run_id=run_id), scorers=scorers)

        def on_ray() -> None:
            rescore_on_ray(stored_selection(run_id), scorers)

        start_s = start_ray(CPUS)
        try:
            first_s = timed(on_ray, 1)
            timed(local, 1)
            local_s, ray_s = interleaved([local, on_ray], repeat)
            frame = scorelens.search_traces(run_id=run_id)
            frame_local_s, frame_ray_s = interleaved(
                [
                    lambda: evaluate(frame, scorers=scorers),
                    lambda: evaluate(frame, scorers=scorers, engine="ray"),
                ],
                repeat,
            )
        finally:
            ray.shutdown()
        start_ray(1)
        try:
            timed(on_ray, 1)
            one_cpu_s = timed(on_ray, repeat)
        finally:
            ray.shutdown()
    load_after = os.getloadavg()[0]
    print(f"N = {n:,} traces, one cheap scorer; median of {repeat}")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
        f"{load_after:.1f} after (other work on these CPUs slows both sides)"
    )
    print(f"  Ray start ({CPUS} CPUs) {start_s:.1f} s; first run, on fresh workers {first_s:.1f} s")
    print(f"  {'':28}{'local':>8}{'ray x2':>9}{'ideal':>9}{'ray/ideal':>11}{'efficiency':>12}")
    for what, local_time, ray_time in (
        ("score a stored run (CLI)", local_s, ray_s),
        ("re-score a loaded frame", frame_local_s, frame_ray_s),
    ):
        ideal = local_time / CPUS
        efficiency = local_time / (CPUS * ray_time)
        print(
            f"  {what:28}{local_time:7.2f}s{ray_time:8.2f}s{ideal:8.2f}s{ray_time / ideal:11.2f}"
            f"{efficiency:12.2f}"
        )
    print(
        f"  Ray alone, a stored run on 1 CPU {one_cpu_s:.2f} s, on {CPUS}: {ray_s:.2f} s, "
        f"efficiency {one_cpu_s / (CPUS * ray_s):.2f}"
    )
    met = "met" if local_s / (CPUS * ray_s) >= TARGET_EFFICIENCY else "MISSED"
    print(f"  target efficiency {TARGET_EFFICIENCY} for a stored run: {met}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="10,000 traces")
    size.add_argument("--big", action="store_true", help="1,000,000 traces")
    parser.add_argument("n", nargs="?", type=int, help="this many traces instead")
    parser.add_argument("--repeat", type=int, help="timed runs of each (default 3, 1 for --big)")
    args = parser.parse_args(argv)
    n = args.n or (10_000 if args.quick else 1_000_000 if args.big else 100_000)
    bench(n, args.repeat or (1 if args.big else 3))


if __name__ == "__main__":
    main(sys.argv[1:])
