"""What the worker does for each request: score traces with a file's scorers, or generate traces."""

from __future__ import annotations

import functools
import os
import threading
import time
import traceback
from collections.abc import Callable

import scorelens
from scorelens import judging
from scorelens.datasets import load_dataset
from scorelens.entities import AssessmentError, Feedback, Trace
from scorelens.entities.assessment import describe_exception
from scorelens.entities.trace import expectations_of
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.scorer_pool import Row, RowResult, max_workers, score_rows
from scorelens.genai.scorer_runs import (
    ERROR_KIND_EXCEPTION,
    SCORER_ERROR,
    PreparedScorer,
    Verdict,
    scorer_traces_dropped,
)
from scorelens.judging import JudgeCache
from scorelens.store.trace_cache import TraceCache
from scorelens.tracing.serialize import to_jsonable
from scorelens.tracing.span_data import SpanData
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
    ScorerRows,
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
_PARTIAL_ROWS_INTERVAL_S = 0.5


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
        self._note_lock = threading.Lock()
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
        workers = max_workers(request["maxWorkers"])
        cache = JudgeCache(request["store"]) if request["judgeCache"] else None
        rows_in = [Row(t.inputs, t.outputs, expectations_of(t.info), t) for t in traces]
        for name in names:
            scorer = by_name.get(name)
            broken = found.broken.get(name)
            if scorer is None and broken is None:
                continue
            began = time.perf_counter()
            run = _ScorerRun(self, request, name, len(traces))
            if scorer is not None:
                with scorer_traces_dropped():
                    results = score_rows(
                        PreparedScorer(scorer),
                        rows_in,
                        workers=workers,
                        judge_cache=cache,
                        on_start=functools.partial(self._note, name, traces),
                        on_done=functools.partial(run.add, traces),
                        stopped=functools.partial(self.is_cancelled, request["id"]),
                    )
                if any(r is None for r in results):
                    run.flush()  # what finished is worth keeping: a newer run may want it
                    answer["cancelled"] = True
                    return answer
            else:
                assert broken is not None
                unmade = _not_constructed(name, *broken)
                for index in range(len(traces)):
                    run.add(traces, index, RowResult([unmade], [], 0.0))
            # Sent as soon as it is done: kept even if a later scorer of the file hangs or crashes.
            finished: ScorerDone = {
                "id": request["id"],
                "kind": "scorerDone",
                "scorer": name,
                "rows": run.take(),
                "durationMs": (time.perf_counter() - began) * 1000,
            }
            self.emit(finished)
        self.current.clear()
        return answer

    def _note(self, scorer: str, traces: list[Trace], index: int) -> None:
        # Rows start in several threads: one note at a time, so the bytes are never mixed.
        with self._note_lock:
            self.current.begin(scorer, traces[index].trace_id)

    def _noted_done(self, trace_id: str) -> None:
        with self._note_lock:
            self.current.end(trace_id)

    def warm(self, request: WarmRequest) -> Warmed:
        traces = self.traces.get(request["store"], request["runId"])
        judging.prepare()  # the openai SDK's import, before a save rather than on one
        return {"id": request["id"], "kind": "warmed", "traceCount": len(traces)}

    def generate(self, request: GenerateRequest) -> Generated:
        os.chdir(request["workspace"])
        scorelens.set_tracking_uri(request["store"])
        data = load_dataset(request["dataset"])
        app = load_app(request["app"])

        def progress(done: int, total: int) -> None:
            if self.is_cancelled(request["id"]):
                raise Cancelled()
            self.progress(request["id"], done, total, None)

        generated = generate_traces(data, app, on_progress=progress)
        return {
            "id": request["id"],
            "kind": "generated",
            "runId": generated.run_id,
            "traceCount": len(generated.traces),
            "failed": len(generated.failed),
        }

    def progress(self, request_id: int, done: int, total: int, scorer: str | None) -> None:
        message: Progress = {
            "id": request_id,
            "kind": "progress",
            "done": done,
            "total": total,
            "scorer": scorer,
        }
        self.emit(message)


class _ScorerRun:
    """One scorer's rows as they finish: progress every 0.1 s, and the rows so far every 0.5 s
    (`scorerRows`), so the editor shows figures while a slow scorer (one that calls a model)
    is still running."""

    def __init__(self, tasks: Tasks, request: ScoreRequest, scorer: str, total: int) -> None:
        self.tasks = tasks
        self.request = request
        self.scorer = scorer
        self.total = total
        self.done = 0
        self.pending: list[ResultRow] = []
        self.sent: list[ResultRow] = []
        self.last_progress = self.last_rows = time.monotonic()
        tasks.progress(request["id"], 0, total, scorer)

    def add(self, traces: list[Trace], index: int, result: RowResult) -> None:
        trace = traces[index]
        self.tasks._noted_done(trace.trace_id)
        calls = [c.to_span(trace.trace_id) for c in result.judge_calls]
        for position, verdict in enumerate(result.verdicts):
            # A trace's model calls go with its first row: once per (scorer, trace).
            judge = calls if position == 0 else []
            self.pending.append(
                _row(trace.trace_id, verdict, result.elapsed_ms, self.request["file"], judge)
            )
        self.done += 1
        now = time.monotonic()
        if now - self.last_progress > _PROGRESS_INTERVAL_S:
            self.tasks.progress(self.request["id"], self.done, self.total, self.scorer)
            self.last_progress = now
        if now - self.last_rows > _PARTIAL_ROWS_INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        partial: ScorerRows = {
            "id": self.request["id"],
            "kind": "scorerRows",
            "scorer": self.scorer,
            "rows": self.pending,
        }
        self.tasks.emit(partial)
        self.sent.extend(self.pending)
        self.pending = []
        self.last_rows = time.monotonic()

    def take(self) -> list[ResultRow]:
        """The rows not yet sent as partial results."""
        rows, self.pending = self.pending, []
        return rows


def _row(
    trace_id: str, verdict: Verdict, elapsed_ms: float, path: str, judge: list[SpanData]
) -> ResultRow:
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
        "judge": judge,
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
