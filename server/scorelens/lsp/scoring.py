"""Deciding what to score, asking the worker, and keeping every scorer version's results.

The server owns this state; the worker only executes. Results are cached per scorer version
(source hash) and trace, in memory and in the store, so an unchanged scorer never reaches the
worker and an earlier version comes back without running.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field
from typing import Any

from scorelens.lsp import summaries
from scorelens.lsp.discovery import ModuleScan, ScorerDef, scan_source
from scorelens.lsp.protocol import Aggregate, ScorerSummary
from scorelens.lsp.trace_set import TraceSet
from scorelens.lsp.worker_client import ProgressFn, WorkerClient, WorkerError
from scorelens.store import TraceStore
from scorelens.store.scorer_results import ScorerResultsStore
from scorelens.worker.messages import ErrorInfo

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".scorelens",
        "site-packages",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "build",
        "dist",
    }
)


@dataclass
class FileState:
    path: str
    scan: ModuleScan  # of the saved text: results belong to what is on disk
    import_error: ErrorInfo | None = None
    failures: dict[str, str] = field(default_factory=dict)  # scorer name -> timeout/crash text
    # scorer name -> the version that hung or crashed the worker: not run again on every save
    # (only once it changes, or when asked to)
    failed_versions: dict[str, str] = field(default_factory=dict)
    running: bool = False


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
        self.workspace = os.path.abspath(workspace)
        self.store = TraceStore(store_root)
        self.results_store = ScorerResultsStore(store_root)
        self.trace_set = TraceSet(self.store)
        self.worker = worker
        self.timeout = timeout
        self.trusted = True
        self.files: dict[str, FileState] = {}
        self._results: dict[str, summaries.Rows] = {}
        self._versions: dict[str, list[str]] | None = None
        # What each file's scorers showed when last reported, to tell what a run changed.
        self._announced: dict[str, dict[str, Any]] = {}
        # Figures are O(traces) to compute and asked for by every lens, hover and publish.
        self._rows_version: dict[str, int] = {}
        self._figures_memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._complete: set[tuple[str, int, int]] = set()

    # -- discovery -----------------------------------------------------------------------------

    def scan_workspace(self) -> None:
        for folder, dirs, names in os.walk(self.workspace):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
            for name in names:
                if name.endswith(".py"):
                    self.refresh_file(os.path.join(folder, name))

    def refresh_file(self, path: str, text: str | None = None) -> FileState | None:
        """Re-read a file's scorers from disk (or the given saved text); None if it has none."""
        path = os.path.abspath(path)
        if text is None:
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except (OSError, UnicodeDecodeError):
                self.files.pop(path, None)
                return None
        scan = scan_source(text)
        previous = self.files.get(path)
        if not scan.scorers and not scan.apps and scan.syntax_error is None:
            self.files.pop(path, None)
            return None
        if scan.syntax_error is not None and previous is None and "scorer" not in text:
            return None  # a broken file that never held scorers is not ours to report
        state = previous or FileState(path, scan)
        state.scan = scan
        self.files[path] = state
        if path not in self._announced:
            self._announced[path] = {s["name"]: _shown(s) for s in self.summaries(path)}
        return state

    def scorer_files(self) -> list[FileState]:
        return [f for f in self.files.values() if f.scan.scorers or f.scan.syntax_error]

    # -- results -------------------------------------------------------------------------------

    def rows_for(self, scorer_hash: str) -> summaries.Rows:
        rows = self._results.get(scorer_hash)
        if rows is None:
            rows = self._results[scorer_hash] = self.results_store.load(scorer_hash)
        return rows

    def _lacking(self, scorer_hash: str, trace_ids: list[str]) -> list[str]:
        """Trace ids of the active set this version has no results for."""
        key = (scorer_hash, self._rows_version.get(scorer_hash, 0), self.trace_set.generation)
        if key in self._complete:
            return []
        have = self.rows_for(scorer_hash)
        lacking = [t for t in trace_ids if t not in have]
        if not lacking:
            self._complete.add(key)
        return lacking

    def version_key(self, path: str, name: str) -> str:
        return f"{os.path.relpath(path, self.workspace)}::{name}"

    def versions(self) -> dict[str, list[str]]:
        if self._versions is None:
            self._versions = self.results_store.versions()
        return self._versions

    def previous_hash(self, path: str, scorer: ScorerDef) -> str | None:
        history = self.versions().get(self.version_key(path, scorer.name), [])
        older = [h for h in history if h != scorer.source_hash]
        return older[-1] if older else None

    def clear(self) -> int:
        self._results.clear()
        self._figures_memo.clear()
        self._complete.clear()
        self._versions = None
        for state in self.files.values():
            state.failures.clear()
            state.failed_versions.clear()
            state.import_error = None
        return self.results_store.clear()

    # -- running -------------------------------------------------------------------------------

    async def warm_up(self) -> str | None:
        """Start the worker and load the trace set into it before anyone saves; an error text."""
        if not self.trusted:
            return None
        trace_ids = self.trace_set.trace_ids()
        if not trace_ids:
            return None
        try:
            await self.worker.request(
                {"kind": "warm", "store": self.store.root, "runId": self.trace_set.run_id},
                max(self.timeout, 60),
            )
        except WorkerError as exc:
            self.worker.log(f"warming the worker failed: {exc}")
            return f"the worker could not start: {exc}"
        return None

    async def run_file(
        self,
        path: str,
        names: list[str] | None = None,
        force: bool = False,
        on_progress: ProgressFn | None = None,
    ) -> RunReport:
        started = time.perf_counter()
        path = os.path.abspath(path)
        state = self.refresh_file(path)
        if state is None or state.scan.syntax_error is not None or not self.trusted:
            return RunReport(path, [], False, (time.perf_counter() - started) * 1000)
        wanted = [s for s in state.scan.scorers if names is None or s.name in names]
        trace_ids = self.trace_set.trace_ids()
        need: list[ScorerDef] = []
        missing: set[str] = set()
        for scorer in wanted:
            if not force and state.failed_versions.get(scorer.name) == scorer.source_hash:
                continue
            lacking = self._lacking(scorer.source_hash, trace_ids)
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
                await self._score_with_worker(state, need, trace_ids, missing, on_progress)
            finally:
                state.running = False
        for scorer in wanted:
            key = self.version_key(path, scorer.name)
            history = self.versions().get(key, [])
            if self.rows_for(scorer.source_hash) and history[-1:] != [scorer.source_hash]:
                self.versions()[key] = self.results_store.record_version(key, scorer.source_hash)
        after = self.summaries(path)
        before = self._announced.get(path, {})
        changed = [s for s in after if before.get(s["name"]) != _shown(s)]
        self._announced[path] = {s["name"]: _shown(s) for s in after}
        return RunReport(path, changed, worker_called, (time.perf_counter() - started) * 1000)

    async def _score_with_worker(
        self,
        state: FileState,
        need: list[ScorerDef],
        trace_ids: list[str],
        missing: set[str],
        on_progress: ProgressFn | None,
    ) -> None:
        for scorer in need:
            state.failures.pop(scorer.name, None)
            state.failed_versions.pop(scorer.name, None)
        remaining = list(need)
        # A scorer that hangs or kills the worker costs that scorer only: what finished before
        # it is kept, and the scorers after it run again on a fresh worker.
        while remaining:
            finished: set[str] = set()
            keep = functools.partial(
                self._keep_finished, {s.name: s for s in remaining}, missing, finished
            )

            request = {
                "kind": "score",
                "store": self.store.root,
                "workspace": self.workspace,
                "file": state.path,
                "scorers": [s.name for s in remaining],
                "runId": self.trace_set.run_id,
                "traceIds": None if len(missing) == len(trace_ids) else sorted(missing),
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
            if answer.get("kind") == "failed":
                for scorer in remaining:
                    if scorer.name not in finished:
                        state.failures[scorer.name] = str(answer.get("error"))
                return
            state.import_error = answer.get("importError")
            if state.import_error is not None or answer.get("cancelled"):
                return
            for scorer in remaining:
                if scorer.name not in finished:
                    state.failures[scorer.name] = (
                        f"'{scorer.name}' was not a scorer when the module was imported"
                    )
            return

    def _keep_finished(
        self,
        running: dict[str, ScorerDef],
        missing: set[str],
        finished: set[str],
        message: dict[str, Any],
    ) -> None:
        scorer = running.get(message["scorer"])
        if scorer is not None:
            self._keep_rows(scorer, message["rows"], missing)
            finished.add(scorer.name)

    def _keep_rows(self, scorer: ScorerDef, rows: list[Any], missing: set[str]) -> None:
        by_trace: summaries.Rows = {}
        for row in rows:
            by_trace.setdefault(row["traceId"], []).append(row)
        for trace_id in missing:
            by_trace.setdefault(trace_id, [])
        self.rows_for(scorer.source_hash).update(by_trace)
        self._rows_version[scorer.source_hash] = self._rows_version.get(scorer.source_hash, 0) + 1
        self.results_store.save(scorer.source_hash, by_trace)

    # -- summaries -----------------------------------------------------------------------------

    def summaries(
        self, path: str, dirty: bool = False, uri: str | None = None
    ) -> list[ScorerSummary]:
        state = self.files.get(os.path.abspath(path))
        if state is None:
            return []
        return [self.summary(state, s, dirty, uri) for s in state.scan.scorers]

    def summary(
        self, state: FileState, scorer: ScorerDef, dirty: bool = False, uri: str | None = None
    ) -> ScorerSummary:
        trace_ids = self.trace_set.trace_ids()
        previous_hash = self.previous_hash(state.path, scorer)
        key = (
            scorer.source_hash,
            self._rows_version.get(scorer.source_hash, 0),
            previous_hash,
            self._rows_version.get(previous_hash or "", 0),
            self.trace_set.generation,
            scorer.name,
            scorer.aggregations,
        )
        figures = self._figures_memo.get(key)
        if figures is None:
            figures = self._compute_figures(scorer, trace_ids, previous_hash)
            if len(self._figures_memo) > 1000:
                self._figures_memo.clear()
            self._figures_memo[key] = figures
        scored, errors, passed, failed, aggregates = figures
        message = state.failures.get(scorer.name)
        if state.import_error is not None:
            message = state.import_error["message"]
        if not self.trusted:
            status = "untrusted"
            message = "workspace not trusted: scorers do not run"
        elif state.running:
            status = "running"
        elif message is not None:
            status = "error"
        elif scored:
            status = "scored"
        else:
            status = "unscored"
        return {
            "uri": uri or _uri(state.path),
            "name": scorer.name,
            "line": scorer.line,
            "hash": scorer.source_hash,
            "state": status,  # type: ignore[typeddict-item]
            "scored": scored,
            "total": len(trace_ids),
            "errors": errors,
            "passed": passed,
            "failed": failed,
            "aggregates": [
                {"name": a["name"], "value": a["value"], "previous": a["previous"]}
                for a in aggregates
            ],
            "message": message,
            "stale": dirty,
        }

    def _compute_figures(
        self, scorer: ScorerDef, trace_ids: list[str], previous_hash: str | None
    ) -> tuple[int, int, int | None, int | None, list[Aggregate]]:
        rows = self.rows_for(scorer.source_hash)
        scored_ids = [t for t in trace_ids if t in rows]
        errors = sum(1 for t in scored_ids if any(r["error"] for r in rows[t]))
        current = summaries.values(rows, scored_ids, scorer.name)
        previous = (
            summaries.values(self.rows_for(previous_hash), trace_ids, scorer.name)
            if previous_hash
            else None
        )
        aggregates = summaries.aggregates(current, previous, _aggregation_names(scorer))
        passed, failed = summaries.pass_fail(current)
        return len(scored_ids), errors, passed, failed, aggregates


def _aggregation_names(scorer: ScorerDef) -> list[str]:
    # Callable aggregations cannot be read from source; named ones can.
    return list(scorer.aggregations) or ["mean"]


def _shown(summary: ScorerSummary | None) -> Any:
    """What a summary shows the user, to tell whether a run changed it."""
    if summary is None:
        return None
    return (
        summary["hash"],
        summary["scored"],
        summary["errors"],
        summary["passed"],
        summary["failed"],
        [(a["name"], a["value"]) for a in summary["aggregates"]],
        summary["message"],
    )


def _uri(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(path) or path
