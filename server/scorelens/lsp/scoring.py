"""Deciding what to score, asking the worker, and keeping what it answers.

The server owns this decision; the worker only executes. A scorer version with results for
every active trace never reaches the worker; one that hung or crashed it is not run again until
it changes or the user asks.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from scorelens.judging import PriceTable
from scorelens.lsp import diagnostics, figures
from scorelens.lsp.discovery import ScorerDef
from scorelens.lsp.labels import LabelBook
from scorelens.lsp.protocol import ScorerSummary
from scorelens.lsp.results_cache import ResultsCache
from scorelens.lsp.summaries import Rows
from scorelens.lsp.trace_set import TraceSet
from scorelens.lsp.worker_client import ProgressFn, WorkerClient, WorkerError
from scorelens.lsp.workspace_files import FileState, WorkspaceFiles
from scorelens.store import TraceStore
from scorelens.store.scorer_results import compact
from scorelens.worker.messages import (
    Generated,
    GenerateRequest,
    ResultRow,
    ScorerDone,
    ScoreRequest,
    ScorerRows,
)

GENERATE_MIN_TIMEOUT_S = 120.0


@dataclass
class RunReport:
    path: str
    changed: list[ScorerSummary]
    worker_called: bool
    duration_ms: float


class ScoringService:
    def __init__(
        self, workspace: str, store_root: str, worker: WorkerClient, timeout: float = 30.0
    ) -> None:
        self.files = WorkspaceFiles(workspace)
        self.workspace = self.files.root
        self.store = TraceStore(store_root)
        self.results = ResultsCache(store_root, worker.log)
        self.trace_set = TraceSet(self.store)
        self.labels = LabelBook(self.trace_set)
        self.worker = worker
        self.timeout = timeout
        self.trusted = True
        self.max_workers: int | None = None  # traces scored at once; None: the worker's default
        self.judge_cache = True  # answer scorers' model calls from the store's cache
        self.prices = PriceTable()
        # What each file's scorers showed when last reported, to tell what a run changed.
        self._announced: dict[str, dict[str, object]] = {}
        self._prepared: asyncio.Future[None] | None = None
        self._current_read: asyncio.Future[None] | None = None

    # -- figures -------------------------------------------------------------------------------

    def summaries(
        self, state: FileState, dirty: bool = False, uri: str | None = None
    ) -> list[ScorerSummary]:
        return [self.summary(state, s, dirty, uri) for s in state.scan.scorers]

    def summaries_so_far(self, state: FileState, dirty: bool = False) -> list[ScorerSummary]:
        """The summaries of a run still going, with the rows it has sent so far."""
        self.results.publish()
        return self.summaries(state, dirty)

    def summary(
        self, state: FileState, scorer: ScorerDef, dirty: bool = False, uri: str | None = None
    ) -> ScorerSummary:
        return figures.summary(
            self.results,
            state,
            scorer,
            self.trace_set.trace_ids(),
            self.trace_set.generation,
            previous_hash=self.previous_hash(state, scorer),
            trusted=self.trusted,
            prices=self.prices,
            labels=self.labels,
            dirty=dirty,
            uri=uri,
        )

    def rows_for(self, scorer: ScorerDef) -> Rows:
        return self.results.rows(scorer.source_hash)

    def failing(self, scorer: ScorerDef) -> diagnostics.Failing:
        """The scorer's failing traces for its diagnostics, remembered until its rows, the
        trace set or its lines change: publishing after an unchanged save walks no rows."""
        trace_ids = self.trace_set.trace_ids()
        key = (
            "failing",
            scorer.source_hash,
            self.results.version_of(scorer.source_hash),
            self.trace_set.generation,
            scorer.line,
            scorer.decorator_line,
            scorer.end_line,
        )
        return self.results.memo(
            key, lambda: diagnostics.failing(scorer, self.rows_for(scorer), trace_ids)
        )

    def previous_hash(self, state: FileState, scorer: ScorerDef) -> str | None:
        key = figures.version_key(self.workspace, state.path, scorer.name)
        return self.results.previous(key, scorer.source_hash)

    def clear(self) -> int:
        for state in self.files:
            state.forget_failures()
        return self.results.clear()

    # -- running -------------------------------------------------------------------------------

    def shown_hashes(self, states: Iterable[FileState] | None = None) -> list[str]:
        """The versions whose rows these files' scorers (default: the workspace's) show: each
        one's current, then each one's previous (for the deltas)."""
        current: list[str] = []
        previous: list[str] = []
        for state in self.files.scorer_files() if states is None else states:
            for scorer in state.scan.scorers:
                current.append(scorer.source_hash)
                before = self.previous_hash(state, scorer)
                if before is not None:
                    previous.append(before)
        return current + previous

    async def prepare(self, current_only: bool = False) -> None:
        """Read the trace set's ids and the stored results of the scorers shown, in threads,
        so lenses show stored figures without the event loop reading them: the current
        versions', then the previous ones' (their deltas). Once; `current_only` waits for the
        first part only."""
        if self._prepared is None:
            self._current_read = asyncio.get_running_loop().create_future()
            self._prepared = asyncio.ensure_future(self._prepare(self._current_read))
        assert self._current_read is not None
        await asyncio.shield(self._current_read if current_only else self._prepared)

    async def _prepare(self, current_read: asyncio.Future[None]) -> None:
        try:
            await asyncio.to_thread(self.trace_set.trace_ids)
            await asyncio.to_thread(self.results.history, "")  # the versions file: small
            hashes = [s.source_hash for f in self.files.scorer_files() for s in f.scan.scorers]
            await self.results.preload(hashes)
            current_read.set_result(None)
            await self.results.preload(self.shown_hashes())
        except Exception as exc:
            # A damaged store: the requests that read it say so, as they would without this.
            self.worker.log(f"reading the store failed: {exc}")
        finally:
            if not current_read.done():
                current_read.set_result(None)

    async def warm_up(self) -> str | None:
        """Start the worker and load the trace set into it, before anyone saves; an error
        text."""
        if not self.trusted:
            return None
        if not await asyncio.to_thread(self.trace_set.trace_ids):
            return None
        try:
            await self.worker.request(
                {"id": 0, "kind": "warm", "store": self.store.root, "runId": self.trace_set.run_id},
                max(self.timeout, 60),
            )
        except WorkerError as exc:
            self.worker.log(f"warming the worker failed: {exc}")
            return f"the worker could not start: {exc}"
        return None

    async def generate(
        self, dataset: str, app: str, on_progress: ProgressFn | None = None
    ) -> Generated:
        """Run the app over a dataset in the worker, recording a new run of traces."""
        request: GenerateRequest = {
            "id": 0,
            "kind": "generate",
            "store": self.store.root,
            "workspace": self.workspace,
            "dataset": dataset,
            "app": app,
        }
        # An app may legitimately take long; only silence longer than the timeout is a hang.
        timeout = max(self.timeout, GENERATE_MIN_TIMEOUT_S)
        answer = await self.worker.request(request, timeout, on_progress)
        if answer["kind"] == "failed":
            raise ValueError(answer["error"])
        if answer["kind"] != "generated":
            raise WorkerError(f"the worker answered a generate request with {answer['kind']}")
        return answer

    async def run_file(
        self,
        state: FileState,
        names: list[str] | None = None,
        force: bool = False,
        on_progress: ProgressFn | None = None,
        on_rows: Callable[[], None] | None = None,
    ) -> RunReport:
        """Score the file as last scanned: what lacks results, or everything when forced.
        `on_rows` is called whenever results came in, while the run goes on."""
        started = time.perf_counter()
        path = state.path
        if state.scan.syntax_error is not None or not self.trusted:
            return RunReport(path, [], False, (time.perf_counter() - started) * 1000)
        before = self._announced.get(path)
        if before is None:
            before = {s["name"]: figures.shown(s) for s in self.summaries(state)}
        wanted = [s for s in state.scan.scorers if names is None or s.name in names]
        await self.results.preload(self.shown_hashes([state]))
        trace_ids = self.trace_set.trace_ids()
        need: list[ScorerDef] = []
        missing: set[str] = set()
        for scorer in wanted:
            if not force and state.failed_versions.get(scorer.name) == scorer.source_hash:
                continue
            lacking = self.results.lacking(scorer.source_hash, trace_ids, self.trace_set.generation)
            if force or lacking or scorer.name in state.failures:
                need.append(scorer)
                missing.update(trace_ids if force else lacking)
        if not need and state.import_error is not None:
            need = wanted  # the file failed to import last time: try again
            missing = set(trace_ids)
        worker_called = bool(need) and bool(trace_ids)
        if worker_called:
            state.running = True
            try:
                await self._score_with_worker(state, need, trace_ids, missing, on_progress, on_rows)
            finally:
                state.running = False
                # What came in counts, and is stored, even when a newer run cancelled this one.
                self.results.publish()
                self.results.write_soon()
        for scorer in wanted:
            key = figures.version_key(self.workspace, path, scorer.name)
            await self.results.record(key, scorer.source_hash)
        after = self.summaries(state)
        changed = [s for s in after if before.get(s["name"]) != figures.shown(s)]
        self._announced[path] = {s["name"]: figures.shown(s) for s in after}
        self.results.retain(self.shown_hashes())
        return RunReport(path, changed, worker_called, (time.perf_counter() - started) * 1000)

    async def _score_with_worker(
        self,
        state: FileState,
        need: list[ScorerDef],
        trace_ids: list[str],
        missing: set[str],
        on_progress: ProgressFn | None,
        on_rows: Callable[[], None] | None,
    ) -> None:
        for scorer in need:
            state.failures.pop(scorer.name, None)
            state.failed_versions.pop(scorer.name, None)
        remaining = list(need)
        answered: dict[str, set[str]] = {}  # per scorer, the traces it sent rows for
        # A scorer that hangs or kills the worker costs that scorer only: what finished before
        # it is kept, and the scorers after it run again on a fresh worker.
        while remaining:
            finished: set[str] = set()
            running = {s.name: s for s in remaining}

            def keep(
                message: ScorerRows | ScorerDone,
                running: dict[str, ScorerDef] = running,
                finished: set[str] = finished,
            ) -> None:
                scorer = running.get(message["scorer"])
                if scorer is None:
                    return
                done = message["kind"] == "scorerDone"
                seen = answered.setdefault(scorer.name, set())
                seen.update(row["traceId"] for row in message["rows"])
                # Done, a trace asked about that got no row at all abstained (None).
                abstained = missing - seen if done else set()
                self._keep(scorer, message["rows"], abstained)
                if done:
                    finished.add(scorer.name)
                # The rows are in memory already; the store write follows. The last scorer's
                # last rows end the run, whose figures are shown next.
                if on_rows is not None and len(finished) < len(running):
                    on_rows()

            request: ScoreRequest = {
                "id": 0,
                "kind": "score",
                "store": self.store.root,
                "workspace": self.workspace,
                "file": state.path,
                "scorers": [s.name for s in remaining],
                "runId": self.trace_set.run_id,
                "traceIds": None if len(missing) == len(trace_ids) else sorted(missing),
                "maxWorkers": self.max_workers,
                "judgeCache": self.judge_cache,
            }
            try:
                answer = await self.worker.request(request, self.timeout, on_progress, keep)
            except WorkerError as exc:
                unfinished = [s for s in remaining if s.name not in finished]
                culprit = next((s for s in unfinished if s.name == exc.scorer), None)
                for scorer in [culprit] if culprit is not None else unfinished:
                    state.failures[scorer.name] = str(exc)
                    state.failed_versions[scorer.name] = scorer.source_hash
                remaining = [s for s in unfinished if s is not culprit] if culprit else []
                continue
            unfinished = [s for s in remaining if s.name not in finished]
            if answer["kind"] == "failed":
                for scorer in unfinished:
                    state.failures[scorer.name] = answer["error"]
                return
            if answer["kind"] != "scored":
                raise WorkerError(f"the worker answered a score request with {answer['kind']}")
            state.import_error = answer["importError"]
            if state.import_error is not None or answer["cancelled"]:
                return
            for scorer in unfinished:
                state.failures[scorer.name] = (
                    f"'{scorer.name}' was not a scorer when the module was imported"
                )
            return

    def _keep(self, scorer: ScorerDef, rows: list[ResultRow], abstained: set[str]) -> None:
        """Keep these rows (and no result for the traces that abstained)."""
        by_trace: Rows = {}
        for row in rows:
            by_trace.setdefault(sys.intern(row["traceId"]), []).append(compact(row))
        for trace_id in abstained:
            by_trace.setdefault(trace_id, [])
        self.results.keep(scorer.source_hash, by_trace)
