"""What the worker does for each request: score traces with a file's scorers, or generate traces."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import scorelens
from scorelens.datasets import load_dataset
from scorelens.entities import Feedback
from scorelens.genai.evaluation import evaluate
from scorelens.genai.scorers import Scorer
from scorelens.store.trace_cache import TraceCache
from scorelens.tracing.serialize import to_jsonable
from scorelens.worker.current import CurrentWork
from scorelens.worker.messages import (
    Generated,
    GenerateRequest,
    Progress,
    ResultRow,
    Scored,
    ScorerDone,
    ScoreRequest,
    Warmed,
    WarmRequest,
)
from scorelens.worker.user_code import (
    describe_import_error,
    import_fresh,
    install_mlflow_aliases,
    line_in_file,
    scorers_of,
)

_PROGRESS_INTERVAL_S = 0.1


class Cancelled(Exception):
    pass


class Tasks:
    def __init__(
        self,
        emit: Callable[[Any], None],
        is_cancelled: Callable[[int], bool],
        current: CurrentWork | None = None,
    ) -> None:
        self.emit = emit
        self.is_cancelled = is_cancelled
        self.current = current or CurrentWork(None)
        self.traces = TraceCache()
        install_mlflow_aliases()

    def handle(self, request: dict[str, Any]) -> Any:
        kind = request.get("kind")
        if kind == "score":
            return self.score(request)  # type: ignore[arg-type]
        if kind == "generate":
            return self.generate(request)  # type: ignore[arg-type]
        if kind == "warm":
            return self.warm(request)  # type: ignore[arg-type]
        raise ValueError(f"unknown request kind {kind!r}")

    def score(self, request: ScoreRequest) -> Scored:
        traces = self.traces.get(request["store"], request["runId"])
        if request["traceIds"] is not None:
            wanted = set(request["traceIds"])
            traces = [t for t in traces if t.trace_id in wanted]
        answer: Scored = {
            "id": request["id"],
            "kind": "scored",
            "importError": None,
            "cancelled": False,
            "traceCount": len(traces),
        }
        try:
            module = import_fresh(request["file"], request["workspace"])
        except Exception as exc:
            answer["importError"] = describe_import_error(exc, request["file"])
            return answer
        found = scorers_of(module)
        names = request["scorers"] if request["scorers"] is not None else list(found)
        last_report = time.monotonic()
        for name in names:
            scorer = found.get(name)
            if scorer is None:
                continue
            self._progress(request["id"], 0, len(traces), name)
            rows: list[ResultRow] = []
            began = time.perf_counter()
            for done, trace in enumerate(traces, start=1):
                if self.is_cancelled(request["id"]):
                    answer["cancelled"] = True
                    return answer
                self.current.set(name, trace.trace_id)
                started = time.perf_counter()
                feedback = scorer.run(
                    inputs=trace.inputs,
                    outputs=trace.outputs,
                    expectations=trace.info.expectations,
                    trace=trace,
                )
                elapsed_ms = (time.perf_counter() - started) * 1000
                rows.extend(
                    _row(trace.trace_id, f, elapsed_ms, scorer, request["file"]) for f in feedback
                )
                if time.monotonic() - last_report > _PROGRESS_INTERVAL_S:
                    self._progress(request["id"], done, len(traces), name)
                    last_report = time.monotonic()
            # Sent as soon as it is done: kept even if a later scorer of the file hangs or crashes.
            finished: ScorerDone = {
                "id": request["id"],
                "kind": "scorerDone",
                "scorer": name,
                "rows": rows,
                "durationMs": (time.perf_counter() - began) * 1000,
            }
            self.emit(finished)
        self.current.set(None, None)
        return answer

    def warm(self, request: WarmRequest) -> Warmed:
        traces = self.traces.get(request["store"], request["runId"])
        return {"id": request["id"], "kind": "warmed", "traceCount": len(traces)}

    def generate(self, request: GenerateRequest) -> Generated:
        from scorelens.cli.loading import load_app

        os.chdir(request["workspace"])
        scorelens.set_tracking_uri(request["store"])
        data = load_dataset(request["dataset"])
        app = load_app(request["app"])

        def progress(done: int, total: int) -> None:
            if self.is_cancelled(request["id"]):
                raise Cancelled()
            self._progress(request["id"], done, total, None)

        result = evaluate(data, predict_fn=app, on_progress=progress)
        traces = result.result_df["trace"]
        failed = sum(1 for t in traces if t is not None and t.info.state == "ERROR")
        return {
            "id": request["id"],
            "kind": "generated",
            "runId": result.run_id,
            "traceCount": len(traces),
            "failed": failed,
        }

    def _progress(self, request_id: int, done: int, total: int, scorer: str | None) -> None:
        message: Progress = {
            "id": request_id,
            "kind": "progress",
            "done": done,
            "total": total,
            "scorer": scorer,
        }
        self.emit(message)


def _row(
    trace_id: str, feedback: Feedback, elapsed_ms: float, scorer: Scorer, path: str
) -> ResultRow:
    value, _ = to_jsonable(feedback.value)
    kind = feedback.source.get("error_kind") if feedback.error else None
    if feedback.error and kind is None:
        kind = "feedback"  # the scorer returned Feedback(error=...) itself
    return {
        "traceId": trace_id,
        "name": feedback.name or scorer.name,
        "value": value,
        "rationale": feedback.rationale,
        "error": feedback.error,
        "errorKind": kind,
        "errorLine": line_in_file(feedback.stack_trace, path),
        "durationMs": round(elapsed_ms, 3),
    }
