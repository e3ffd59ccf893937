"""Pulling from and pushing to an MLflow tracking server, against MLflow's own `search_traces`.

    python bench/bench_mlflow_sync.py [--quick] [N]     (default N = 10,000; --quick: 500)

Starts a local `mlflow server` (sqlite backend, in a temporary folder) and creates N two-span
traces in it through MLflow's client, in batches (`log_spans`, MLflow's OTLP span intake).
Then, once each:

  search_traces   MLflow's `mlflow.search_traces(locations=[...], max_results=N)`: the same
                  traces read into MLflow's DataFrame, the figure to compare with
  pull            `scorelens.mlflow_sync.pull` of all N into an empty local store
  pull again      nothing new: the cost of asking
  push            one scorer's feedback on each of the N traces (scoring them is not timed)
  push again      nothing changed
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the fixtures package

from fixtures.mlflow_server import QUIET_MLFLOW, mlflow_server  # noqa: E402

import scorelens  # noqa: E402
from scorelens.genai import evaluate  # noqa: E402
from scorelens.genai.scorers import scorer  # noqa: E402
from scorelens.mlflow_sync import pull, push  # noqa: E402

T = TypeVar("T")
LOG_BATCH = 500  # traces per log_spans call


@scorer
def response_length(outputs: str) -> int:
    return len(outputs or "")


def timed(step: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def make_traces(uri: str, n: int) -> str:
    """A new experiment holding n traces (a CHAIN root and a CHAT_MODEL child); returns its id."""
    import mlflow
    from mlflow.entities import Span
    from mlflow.tracing.client import TracingClient

    experiment_id = str(mlflow.MlflowClient(uri).create_experiment("bench"))
    store = TracingClient(uri).store
    started = time.time_ns() - n * 1_000_000
    spans: list[Any] = []
    for i in range(n):
        otel_trace_id, root, child = os.urandom(16), os.urandom(8), os.urandom(8)
        shared = {"mlflow.traceRequestId": json.dumps("tr-" + otel_trace_id.hex())}
        start = started + i * 1_000_000
        answer = f"A considered answer to question {i}."
        question = f"Question {i}?"
        spans.append(
            Span.from_dict(
                _span(otel_trace_id, root, None, "app", start, 5, shared, "CHAIN", question, answer)
            )
        )
        spans.append(
            Span.from_dict(
                _span(
                    otel_trace_id,
                    child,
                    root,
                    "Completions",
                    start + 1_000_000,
                    3,
                    shared,
                    "CHAT_MODEL",
                    {"messages": [{"role": "user", "content": question}]},
                    {"choices": [{"message": {"role": "assistant", "content": answer}}]},
                )
            )
        )
        if len(spans) >= 2 * LOG_BATCH:
            store.log_spans(experiment_id, spans)
            spans = []
    if spans:
        store.log_spans(experiment_id, spans)
    return experiment_id


def _span(
    trace_id: bytes,
    span_id: bytes,
    parent_id: bytes | None,
    name: str,
    start_ns: int,
    duration_ms: int,
    shared: dict[str, str],
    span_type: str,
    inputs: Any,
    outputs: Any,
) -> dict[str, Any]:
    """A span in MLflow's dict form: OpenTelemetry names, base64 ids, JSON attribute values."""
    return {
        "trace_id": base64.b64encode(trace_id).decode(),
        "span_id": base64.b64encode(span_id).decode(),
        "parent_span_id": None if parent_id is None else base64.b64encode(parent_id).decode(),
        "name": name,
        "start_time_unix_nano": start_ns,
        "end_time_unix_nano": start_ns + duration_ms * 1_000_000,
        "events": [],
        "status": {"code": "STATUS_CODE_OK", "message": ""},
        "attributes": {
            **shared,
            "mlflow.spanType": json.dumps(span_type),
            "mlflow.spanInputs": json.dumps(inputs),
            "mlflow.spanOutputs": json.dumps(outputs),
        },
    }


def bench(n: int) -> None:
    os.environ.update(QUIET_MLFLOW)
    import mlflow

    with tempfile.TemporaryDirectory() as folder, mlflow_server(Path(folder)) as uri:
        made_s, experiment_id = timed(lambda: make_traces(uri, n))
        mlflow.set_tracking_uri(uri)
        # The server's first answers pay for its warm-up: a small search takes it.
        mlflow.search_traces(locations=[experiment_id], max_results=10)
        search_s, frame = timed(
            lambda: mlflow.search_traces(locations=[experiment_id], max_results=n)
        )
        assert len(frame) == n, len(frame)

        scorelens.set_tracking_uri(Path(folder, "local"))
        pull_s, pulled = timed(lambda: pull(uri, experiment_id=experiment_id))
        assert pulled.new_traces == n, pulled
        again_s, again = timed(lambda: pull(uri, experiment_id=experiment_id))
        assert again.new_traces == 0, again

        evaluate(scorelens.search_traces(run_id=pulled.run_id), scorers=[response_length])
        push_s, pushed = timed(lambda: push(uri, scorers=["response_length"]))
        assert pushed.logged == n, pushed
        push_again_s, unchanged = timed(lambda: push(uri, scorers=["response_length"]))
        assert unchanged.unchanged == n, unchanged

    print(f"N = {n:,} traces in a local mlflow server (created in {made_s:.1f} s)")
    rows = [
        ("mlflow.search_traces", search_s),
        ("pull", pull_s),
        ("pull again (0 new)", again_s),
        ("push (1 scorer)", push_s),
        ("push again (unchanged)", push_again_s),
    ]
    for label, seconds in rows:
        print(f"  {label:<24}{seconds:8.2f} s  {n / seconds:10,.0f} traces/s")
    print(f"  pull / search_traces    {pull_s / search_s:8.2f}")


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    sizes = [int(a) for a in argv if a != "--quick"]
    bench(sizes[0] if sizes else 500 if quick else 10_000)


if __name__ == "__main__":
    main(sys.argv[1:])
