"""What the worker does for each request: score traces with a file's scorers, or generate traces."""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable

import scorelens
from scorelens.datasets import load_dataset
from scorelens.entities import AssessmentError, Feedback
from scorelens.entities.assessment import describe_exception
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.scorer_runs import (
    ERROR_KIND_EXCEPTION,
    SCORER_ERROR,
    PreparedScorer,
    Verdict,
    scorer_traces_dropped,
)
from scorelens.store.trace_cache import TraceCache
from scorelens.tracing.serialize import to_jsonable
from scorelens.user_modules import find_scorers, load_app
from scorelens.worker.current import CurrentWork
from scorelens.worker.messages import (
    Answer,
    FinalAnswer,
    Generated,
    GenerateRequest,
    Progress,
    ResultRow,
    Scored,
    ScorerDone,
    ScoreRequest,
    Warmed,
    WarmRequest,
    WorkRequest,
)
from scorelens.worker.user_code import (
    describe_import_error,
    import_fresh,
    install_mlflow_aliases,
    line_in_file,
)

_PROGRESS_INTERVAL_S = 0.1


class Cancelled(Exception):
    pass


class Tasks:
    def __init__(
        self,
        emit: Callable[[Answer], None],
        is_cancelled: Callable[[int], bool],
        current: CurrentWork | None = None,
    ) -> None:
        self.emit = emit
        self.is_cancelled = is_cancelled
        self.current = current or CurrentWork(None)
        self.traces = TraceCache()
        install_mlflow_aliases()

    def handle(self, request: WorkRequest) -> FinalAnswer:
        if request["kind"] == "score":
            return self.score(request)
        if request["kind"] == "generate":
            return self.generate(request)
        return self.warm(request)

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
        found = find_scorers(module)
        by_name = {s.name: s for s in found.scorers}
        names = request["scorers"]
        if names is None:
            names = [*by_name, *(n for n in found.broken if n not in by_name)]
        last_report = time.monotonic()
        for name in names:
            scorer = by_name.get(name)
            broken = found.broken.get(name)
            if scorer is None and broken is None:
                continue
            prepared = PreparedScorer(scorer) if scorer is not None else None
            unmade = _not_constructed(name, *broken) if broken is not None else None
            self._progress(request["id"], 0, len(traces), name)
            rows: list[ResultRow] = []
            began = time.perf_counter()
            with scorer_traces_dropped():
                for done, trace in enumerate(traces, start=1):
                    if self.is_cancelled(request["id"]):
                        answer["cancelled"] = True
                        return answer
                    self.current.set(name, trace.trace_id)
                    started = time.perf_counter()
                    if prepared is not None:
                        verdicts = prepared.score(
                            trace.inputs, trace.outputs, trace.info.expectations, trace
                        )
                    else:
                        assert unmade is not None
                        verdicts = [unmade]
                    elapsed_ms = (time.perf_counter() - started) * 1000
                    rows.extend(
                        _row(trace.trace_id, v, elapsed_ms, request["file"]) for v in verdicts
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
        os.chdir(request["workspace"])
        scorelens.set_tracking_uri(request["store"])
        data = load_dataset(request["dataset"])
        app = load_app(request["app"])

        def progress(done: int, total: int) -> None:
            if self.is_cancelled(request["id"]):
                raise Cancelled()
            self._progress(request["id"], done, total, None)

        generated = generate_traces(data, app, on_progress=progress)
        return {
            "id": request["id"],
            "kind": "generated",
            "runId": generated.run_id,
            "traceCount": len(generated.traces),
            "failed": len(generated.failed),
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


def _row(trace_id: str, verdict: Verdict, elapsed_ms: float, path: str) -> ResultRow:
    feedback = verdict.feedback
    value, _ = to_jsonable(feedback.value)
    stack = feedback.error.stack_trace if feedback.error is not None else None
    return {
        "traceId": trace_id,
        "name": feedback.name,
        "value": value,
        "rationale": feedback.rationale,
        "error": verdict.error_text,
        "errorKind": verdict.error_kind,
        "errorLine": line_in_file(stack, path),
        "durationMs": round(elapsed_ms, 3),
    }


def _not_constructed(name: str, class_name: str, exc: Exception) -> Verdict:
    """The error on every trace of a Scorer class that `cls()` could not make."""
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    message = f"{class_name}() failed: {describe_exception(exc)}"
    feedback = Feedback(
        name=name,
        error=AssessmentError(error_code=SCORER_ERROR, error_message=message, stack_trace=stack),
    )
    return Verdict(feedback, ERROR_KIND_EXCEPTION, message)
