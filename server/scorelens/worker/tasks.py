"""What the worker does for each request: score traces with a file's scorers, or generate traces."""

from __future__ import annotations

import functools
import os
import threading
import time
import traceback
from collections.abc import Callable, Sequence

import scorelens
from scorelens import judging
from scorelens.datasets import load_dataset
from scorelens.entities import AssessmentError, Feedback
from scorelens.entities.assessment import describe_exception
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.scorer_pool import RowResult, max_workers, score_rows
from scorelens.genai.scorer_runs import (
    ERROR_KIND_EXCEPTION,
    SCORER_ERROR,
    PreparedScorer,
    Verdict,
    scorer_traces_dropped,
)
from scorelens.judging import JudgeCache
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
from scorelens.worker.trace_rows import TraceRows
from scorelens.worker.user_code import (
    describe_import_error,
    import_fresh,
    install_mlflow_aliases,
    line_in_file,
)

_PROGRESS_INTERVAL_S = 0.1
# Rows so far go to the server this often, or once this many wait: the editor shows figures
# within half a second of a save, and 100,000 rows are never held here at once.
_PARTIAL_ROWS_INTERVAL_S = 0.2
_PARTIAL_ROWS_MAX = 10_000


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
        self.traces = TraceRows()
        self._note_lock = threading.Lock()
        install_mlflow_aliases()

    def handle(self, request: WorkRequest) -> FinalAnswer:
        if request["kind"] == "score":
            return self.score(request)
        if request["kind"] == "generate":
            return self.generate(request)
        return self.warm(request)

    def score(self, request: ScoreRequest) -> Scored:
        ids = self.traces.refresh(request["store"], request["runId"])
        places: Sequence[int] = range(len(ids))
        if request["traceIds"] is not None:
            wanted = set(request["traceIds"])
            places = [i for i, trace_id in enumerate(ids) if trace_id in wanted]
            ids = [ids[i] for i in places]
        answer: Scored = {
            "id": request["id"],
            "kind": "scored",
            "importError": None,
            "cancelled": False,
            "traceCount": len(ids),
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
        for name in names:
            scorer = by_name.get(name)
            broken = found.broken.get(name)
            if scorer is None and broken is None:
                continue
            began = time.perf_counter()
            run = _ScorerRun(self, request, name, len(ids))
            if scorer is not None:
                prepared = PreparedScorer(scorer)
                whole = None
                if "trace" in prepared.declared:
                    whole = self.traces.whole_traces(request["store"], request["runId"])
                rows = self.traces.rows(places, prepared.declared, whole)
                with scorer_traces_dropped():
                    results = score_rows(
                        prepared,
                        rows,
                        workers=workers,
                        judge_cache=cache,
                        on_start=functools.partial(self._note, name, ids),
                        on_done=functools.partial(run.add, ids),
                        stopped=functools.partial(self.is_cancelled, request["id"]),
                        keep=False,  # each row's result is sent on in on_done
                    )
                if any(r is None for r in results):
                    run.flush()  # what finished is worth keeping: a newer run may want it
                    answer["cancelled"] = True
                    return answer
            else:
                assert broken is not None
                unmade = _not_constructed(name, *broken)
                for index in range(len(ids)):
                    run.add(ids, index, RowResult([unmade], [], 0.0))
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

    def _note(self, scorer: str, ids: list[str], index: int) -> None:
        # Rows start in several threads: one note at a time, so the bytes are never mixed.
        with self._note_lock:
            self.current.begin(scorer, ids[index])

    def _noted_done(self, trace_id: str) -> None:
        with self._note_lock:
            self.current.end(trace_id)

    def warm(self, request: WarmRequest) -> Warmed:
        ids = self.traces.refresh(request["store"], request["runId"])
        judging.prepare()  # the openai SDK's import, before a save rather than on one
        return {"id": request["id"], "kind": "warmed", "traceCount": len(ids)}

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
    """One scorer's rows as they finish: progress every 0.1 s, and the rows so far every 0.2 s
    or 10,000 rows (`scorerRows`), so the editor shows figures while a long run (a scorer that
    calls a model, or 100,000 traces) is still going."""

    def __init__(self, tasks: Tasks, request: ScoreRequest, scorer: str, total: int) -> None:
        self.tasks = tasks
        self.request = request
        self.scorer = scorer
        self.total = total
        self.done = 0
        self.pending: list[ResultRow] = []
        self.last_progress = self.last_rows = time.monotonic()
        tasks.progress(request["id"], 0, total, scorer)

    def add(self, ids: list[str], index: int, result: RowResult) -> None:
        trace_id = ids[index]
        self.tasks._noted_done(trace_id)
        calls = [c.to_span(trace_id) for c in result.judge_calls]
        for position, verdict in enumerate(result.verdicts):
            # A trace's model calls go with its first row: once per (scorer, trace).
            judge = calls if position == 0 else []
            self.pending.append(
                _row(trace_id, verdict, result.elapsed_ms, self.request["file"], judge)
            )
        self.done += 1
        now = time.monotonic()
        if now - self.last_progress > _PROGRESS_INTERVAL_S:
            self.tasks.progress(self.request["id"], self.done, self.total, self.scorer)
            self.last_progress = now
        if (
            now - self.last_rows > _PARTIAL_ROWS_INTERVAL_S
            or len(self.pending) >= _PARTIAL_ROWS_MAX
        ):
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
    row: ResultRow = {
        "traceId": trace_id,
        "name": feedback.name,
        "value": value,
        "durationMs": round(elapsed_ms, 3),
    }
    # The rest only when set: at 100,000 rows a run's answer is half as long to send and read.
    if feedback.rationale is not None:
        row["rationale"] = feedback.rationale
    if verdict.error_text is not None:
        row["error"] = verdict.error_text
    if verdict.error_kind is not None:
        row["errorKind"] = verdict.error_kind
    if feedback.error is not None:
        line = line_in_file(feedback.error.stack_trace, path)
        if line is not None:
            row["errorLine"] = line
    if judge:
        row["judge"] = judge
    return row


def _not_constructed(name: str, class_name: str, exc: Exception) -> Verdict:
    """The error on every trace of a Scorer class that `cls()` could not make."""
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    message = f"{class_name}() failed: {describe_exception(exc)}"
    feedback = Feedback(
        name=name,
        error=AssessmentError(error_code=SCORER_ERROR, error_message=message, stack_trace=stack),
    )
    return Verdict(feedback, ERROR_KIND_EXCEPTION, message)
