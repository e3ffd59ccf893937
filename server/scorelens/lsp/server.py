"""Wiring LSP messages to the scoring service. Each handler is thin: the logic lives elsewhere."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

import scorelens
from scorelens.lsp import diagnostics, hover, lenses, panel, protocol
from scorelens.lsp.discovery import ScorerDef, scan_source
from scorelens.lsp.rpc import AnsweredRequestError, ScoreLensProtocol
from scorelens.lsp.scoring import RunReport, ScoringService
from scorelens.lsp.settings import Settings
from scorelens.lsp.worker_client import WorkerClient

T = TypeVar("T")
PROGRESS_DELAY_S = 0.2

logger = logging.getLogger("scorelens.lsp")


def plain(value: Any) -> Any:
    """pygls hands custom params over as namedtuples; turn them back into JSON data."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class Superseded(Exception):
    """A file's scoring run was cancelled because a newer run of the same file started."""


class ScoreLensServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("scorelens", scorelens.__version__, protocol_cls=ScoreLensProtocol)
        self.settings = Settings()
        self.workspace_root = os.getcwd()
        self._service: ScoringService | None = None
        self.dirty: set[str] = set()  # paths with unsaved edits
        self.saved_text: dict[str, str] = {}  # what is on disk, to tell a revert from an edit
        # The trace set the client was last told about; a change is announced once.
        self.announced_set: tuple[str | None, int, int] | None = None
        self.auto_scoring: asyncio.Task[list[RunReport]] | None = None
        self.file_tasks: dict[str, asyncio.Task[Any]] = {}
        self.progress_tasks: dict[str, asyncio.Task[Any]] = {}
        self.superseded: set[asyncio.Task[Any]] = set()  # runs cancelled by a newer run
        self.background: asyncio.Future[None] | None = None

    @property
    def service(self) -> ScoringService:
        if self._service is None:
            self._service = self._make_service()
        return self._service

    def _make_service(self) -> ScoringService:
        worker = WorkerClient(self.settings.worker_python, self.log, cwd=self.workspace_root)
        service = ScoringService(
            self.workspace_root,
            self.settings.store_root(self.workspace_root),
            worker,
            self.settings.scorer_timeout_seconds,
        )
        service.trusted = self.settings.trusted
        service.scan_workspace()
        return service

    async def reset_service(self) -> None:
        # Runs in flight belong to the old service and its worker: end them first.
        running = [t for t in (self.auto_scoring, *self.file_tasks.values()) if t is not None]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if self._service is not None:
            await self._service.worker.stop()
        self._service = None

    def warm_up(self) -> None:
        async def warm() -> None:
            error = await self.service.warm_up()
            self.send_status("error" if error else "ready", error or "ready")

        self.background = asyncio.ensure_future(warm())

    def send_status(self, state: str, message: str) -> None:
        self.announced_set = self._trace_set_key()
        params = {"state": state, "message": message, "traceSet": _trace_set(self)}
        self.protocol.notify(protocol.STATUS, params)

    def _trace_set_key(self) -> tuple[str | None, int, int]:
        trace_set = self.service.trace_set
        ids = trace_set.trace_ids()
        return (trace_set.run_id, len(ids), trace_set.generation)

    def follow_trace_set(self, score: bool = True) -> bool:
        """Tell the client when the active trace set changed (a CLI run, a generation, a
        selection); then, with re-score on save on, score every scorer on the new traces.
        True when it changed."""
        if self._trace_set_key() == self.announced_set:
            return False
        self.send_status("ready", "trace set changed")
        for path in list(self.service.files):
            self.publish(path)
        self.refresh_lenses()
        wanted = score and self.settings.rescore_on_save and self.settings.trusted
        if wanted and self.service.trace_set.trace_ids():
            if self.auto_scoring is not None:
                self.auto_scoring.cancel()
            self.auto_scoring = asyncio.ensure_future(self.score_everything())
        return True

    async def score_everything(self, force: bool = False) -> list[RunReport]:
        """Score every scorer file: all versions again when forced, else what lacks results."""
        reports = []
        for state in self.service.scorer_files():
            try:
                reports.append(await self.score_file(state.path, force=force))
            except Superseded as superseded:
                self.log(str(superseded))
        return reports

    def report_server_error(self, error: Exception, source: Any) -> None:
        if isinstance(error, AnsweredRequestError):
            self.log(str(error))  # the request itself was answered with this error
            return
        super().report_server_error(error, source)

    def remember_saved(self, path: str, text: str | None) -> None:
        if text is None:
            self.saved_text.pop(path, None)
        else:
            self.saved_text[path] = text

    def mark_dirty(self, path: str, text: str) -> None:
        if self.saved_text.get(path) == text:
            self.dirty.discard(path)
        else:
            self.dirty.add(path)

    def log(self, message: str) -> None:
        logger.info(message)
        # Before the connection is up there is nobody to tell.
        with contextlib.suppress(Exception):
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Log, message=message)
            )

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, path: str) -> None:
        state = self.service.files.get(path)
        uri = from_fs_path(path) or path
        if state is None:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
            return
        rows_of = {s.source_hash: self.service.rows_for(s.source_hash) for s in state.scan.scorers}
        found = diagnostics.for_file(state, rows_of, self.service.trace_set.trace_ids())
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found)
        )

    def refresh_lenses(self) -> None:
        capabilities = self.client_capabilities.workspace
        if capabilities and capabilities.code_lens and capabilities.code_lens.refresh_support:
            self.workspace_code_lens_refresh(None)

    def announce(self, report: RunReport) -> None:
        params: protocol.ScoresChangedParams = {
            "uri": from_fs_path(report.path) or report.path,
            "changed": report.changed,
            "durationMs": report.duration_ms,
            "workerCalled": report.worker_called,
        }
        self.protocol.notify(protocol.SCORES_CHANGED, params)

    # -- running with progress ------------------------------------------------------------------

    async def with_progress(
        self, title: str, work: Callable[[Callable[[dict[str, Any]], None]], Awaitable[T]]
    ) -> T:
        """Run `work`; if it takes over 200 ms, show cancellable work-done progress for it."""
        token = f"scorelens-{uuid.uuid4().hex[:8]}"
        shown = False

        def on_progress(update: dict[str, Any]) -> None:
            if not shown or not update.get("total"):
                return
            what = f"{update['scorer']}: " if update.get("scorer") else ""
            self.work_done_progress.report(
                token,
                types.WorkDoneProgressReport(
                    message=f"{what}{update['done']}/{update['total']}",
                    percentage=int(100 * update["done"] / update["total"]),
                ),
            )

        task = asyncio.ensure_future(work(on_progress))
        done, _ = await asyncio.wait({task}, timeout=PROGRESS_DELAY_S)
        if done:
            return task.result()
        self.progress_tasks[token] = task
        try:
            await self.work_done_progress.create_async(token)
            self.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title=title, cancellable=True, percentage=0)
            )
            shown = True
            return await task
        finally:
            self.progress_tasks.pop(token, None)
            if shown:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd())

    async def score_file(
        self, path: str, names: list[str] | None = None, force: bool = False
    ) -> RunReport:
        """Score a file; a newer run of the same file cancels this one."""
        previous = self.file_tasks.get(path)
        if previous is not None and not previous.done():
            self.superseded.add(previous)
            previous.cancel()
        self.service.refresh_file(path)
        self.refresh_lenses()
        task = asyncio.ensure_future(
            self.with_progress(
                f"Scoring {os.path.basename(path)}",
                lambda report: self.service.run_file(path, names, force, report),
            )
        )
        self.file_tasks[path] = task
        try:
            report = await task
        except asyncio.CancelledError:
            if task in self.superseded:
                raise Superseded(f"scoring {path} gave way to a newer run of it") from None
            raise
        finally:
            self.superseded.discard(task)
            if self.file_tasks.get(path) is task:
                del self.file_tasks[path]
        self.publish(path)
        self.refresh_lenses()
        self.announce(report)
        return report


server = ScoreLensServer()


@server.feature(types.INITIALIZE)
def on_initialize(ls: ScoreLensServer, params: types.InitializeParams) -> None:
    root = params.root_uri or (
        params.workspace_folders[0].uri if params.workspace_folders else None
    )
    if root:
        ls.workspace_root = to_fs_path(root) or ls.workspace_root
    ls.settings.update(params.initialization_options)


@server.feature(types.INITIALIZED)
async def on_initialized(ls: ScoreLensServer, params: types.InitializedParams) -> None:
    await pull_configuration(ls)
    for path in list(ls.service.files):
        ls.publish(path)
    ls.refresh_lenses()
    ls.warm_up()


async def pull_configuration(ls: ScoreLensServer) -> bool:
    """Read the client's settings; True when the service had to be rebuilt for them."""
    workspace = ls.client_capabilities.workspace
    if not (workspace and workspace.configuration):
        return False
    try:
        values = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="scorelens")])
        )
    except Exception as exc:
        ls.log(f"could not read settings: {exc}")
        return False
    before = (
        ls.settings.store_root(ls.workspace_root),
        ls.settings.worker_python,
        ls.settings.trusted,
    )
    ls.settings.update(values[0] if values else None)
    after = (
        ls.settings.store_root(ls.workspace_root),
        ls.settings.worker_python,
        ls.settings.trusted,
    )
    if before != after:
        await ls.reset_service()
        return True
    if ls._service is not None:
        ls._service.timeout = ls.settings.scorer_timeout_seconds
    return False


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def on_configuration(ls: ScoreLensServer, params: types.DidChangeConfigurationParams) -> None:
    if await pull_configuration(ls):
        ls.warm_up()
    ls.refresh_lenses()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def on_open(ls: ScoreLensServer, params: types.DidOpenTextDocumentParams) -> None:
    path = to_fs_path(params.text_document.uri)
    if path:
        saved = _read_text(path)
        ls.remember_saved(path, saved)
        ls.mark_dirty(path, params.text_document.text)
        ls.service.refresh_file(path, saved)  # scans what is on disk: results belong to it
        ls.publish(path)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: ScoreLensServer, params: types.DidChangeTextDocumentParams) -> None:
    path = to_fs_path(params.text_document.uri)
    if path:
        # An undo back to the saved text or File: Revert File leaves it clean, not edited.
        ls.mark_dirty(path, ls.workspace.get_text_document(params.text_document.uri).source)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: ScoreLensServer, params: types.DidCloseTextDocumentParams) -> None:
    path = to_fs_path(params.text_document.uri)
    if path:
        ls.dirty.discard(path)
        ls.saved_text.pop(path, None)


@server.feature(
    types.TEXT_DOCUMENT_DID_SAVE, types.TextDocumentSaveRegistrationOptions(include_text=False)
)
async def on_save(ls: ScoreLensServer, params: types.DidSaveTextDocumentParams) -> None:
    path = to_fs_path(params.text_document.uri)
    if not path:
        return
    ls.dirty.discard(path)
    # Saved, the editor's text is what is on disk: no need to read the file for it.
    ls.remember_saved(path, ls.workspace.get_text_document(params.text_document.uri).source)
    if ls.settings.rescore_on_save:
        try:
            await ls.score_file(path)
        except Superseded as superseded:
            ls.log(str(superseded))
        except asyncio.CancelledError:
            ls.log(f"scoring {path} was cancelled")
    else:
        ls.service.refresh_file(path)
        ls.publish(path)
        ls.refresh_lenses()


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def on_watched_files(ls: ScoreLensServer, params: types.DidChangeWatchedFilesParams) -> None:
    store_root = ls.service.store.root + os.sep
    for change in params.changes:
        path = to_fs_path(change.uri)
        if not path:
            continue
        if path.startswith(store_root):
            continue  # new traces: followed below, once for the whole batch
        if path.endswith(".py"):
            if change.type == types.FileChangeType.Deleted:
                ls.service.files.pop(path, None)
            else:
                ls.service.refresh_file(path)
            ls.publish(path)
    ls.refresh_lenses()
    ls.follow_trace_set()


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
def on_code_lens(ls: ScoreLensServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    path = to_fs_path(params.text_document.uri)
    state = ls.service.files.get(path) if path else None
    if path is None or state is None:
        return []
    dirty = path in ls.dirty
    # Lens positions follow the text being edited; figures belong to the saved version.
    current = state.scan
    if dirty:
        document = ls.workspace.get_text_document(params.text_document.uri)
        edited = scan_source(document.source)
        if edited.syntax_error is None:
            current = edited
    saved = {s.name: s for s in state.scan.scorers}
    apps_found = sum(len(f.scan.apps) for f in ls.service.files.values())
    out: list[types.CodeLens] = []
    unscored: list[tuple[ScorerDef, protocol.ScorerSummary]] = []
    for scorer in current.scorers:
        saved_def = saved.get(scorer.name)
        if saved_def is None:
            where = types.Range(
                start=types.Position(line=scorer.decorator_line, character=0),
                end=types.Position(line=scorer.decorator_line, character=0),
            )
            out.append(
                types.CodeLens(
                    range=where,
                    command=types.Command(title=f"{scorer.name} · save to score", command=""),
                )
            )
            continue
        summary = ls.service.summary(state, saved_def, dirty, params.text_document.uri)
        out.extend(lenses.lenses(scorer, summary, apps_found))
        if summary["state"] == "unscored" and summary["total"] > 0:
            unscored.append((scorer, summary))
    if len(unscored) > 1:
        first, summary = unscored[0]
        out.append(
            lenses.score_file_lens(first, params.text_document.uri, len(unscored), summary["total"])
        )
    return out


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: ScoreLensServer, params: types.HoverParams) -> types.Hover | None:
    path = to_fs_path(params.text_document.uri)
    state = ls.service.files.get(path) if path else None
    if state is None:
        return None
    line, column = params.position.line, params.position.character
    for scorer in state.scan.scorers:
        if scorer.line == line and scorer.name_column <= column <= scorer.name_column + len(
            scorer.function
        ):
            text = hover.markdown(
                scorer, ls.service.rows_for(scorer.source_hash), ls.service.trace_set.trace_ids()
            )
            return types.Hover(
                contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
            )
    return None


@server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
def on_progress_cancel(ls: ScoreLensServer, params: types.WorkDoneProgressCancelParams) -> None:
    task = ls.progress_tasks.get(str(params.token))
    if task is not None:
        task.cancel()


@server.feature(types.SHUTDOWN)
async def on_shutdown(ls: ScoreLensServer, params: None) -> None:
    await ls.reset_service()


# -- the custom protocol ------------------------------------------------------------------------


def _args(params: Any) -> dict[str, Any]:
    args = plain(params)
    if args is None:
        return {}
    if not isinstance(args, dict):
        raise JsonRpcInvalidParams(f"params must be an object, not {type(args).__name__}")
    return args


def _required(args: dict[str, Any], name: str, method: str) -> Any:
    if name not in args:
        raise JsonRpcInvalidParams(f"{method} needs params.{name}")
    return args[name]


def _trace_set(ls: ScoreLensServer) -> protocol.TraceSet:
    return {
        "runId": ls.service.trace_set.run_id,
        "traceCount": len(ls.service.trace_set.trace_ids()),
    }


@server.feature(protocol.LIST_RUNS)
def list_runs(ls: ScoreLensServer, params: Any) -> protocol.ListRunsResult:
    ls.service.trace_set.trace_ids()  # resolves the default set before it is reported
    runs: list[protocol.RunInfo] = [
        {
            "runId": r["run_id"],
            "name": r["name"],
            "startTime": r["start_time"],
            "status": r["status"],
            "traceCount": r["trace_count"],
        }
        for r in ls.service.store.list_runs()
        if r["trace_count"] > 0
    ]
    return {"runs": runs, "active": _trace_set(ls)}


@server.feature(protocol.LIST_SCORERS)
def list_scorers(ls: ScoreLensServer, params: Any) -> protocol.ListScorersResult:
    found: list[protocol.ScorerSummary] = []
    for state in ls.service.scorer_files():
        found.extend(ls.service.summaries(state.path, state.path in ls.dirty))
    return {"scorers": found}


@server.feature(protocol.LIST_APPS)
def list_apps(ls: ScoreLensServer, params: Any) -> protocol.ListAppsResult:
    apps: list[protocol.AppInfo] = []
    for state in ls.service.files.values():
        relative = os.path.relpath(state.path, ls.workspace_root)
        for app in state.scan.apps:
            apps.append(
                {
                    "uri": from_fs_path(state.path) or state.path,
                    "name": app.name,
                    "line": app.line,
                    "reference": f"{relative}:{app.name}",
                }
            )
    return {"apps": sorted(apps, key=lambda a: a["reference"])}


@server.feature(protocol.SELECT_TRACE_SET)
def select_trace_set(ls: ScoreLensServer, params: Any) -> protocol.TraceSet:
    run_id = _required(_args(params), "runId", protocol.SELECT_TRACE_SET)
    ls.service.trace_set.select(None if run_id is None else str(run_id))
    ls.follow_trace_set()
    return _trace_set(ls)


@server.feature(protocol.RESCORE)
async def rescore(ls: ScoreLensServer, params: Any) -> protocol.RescoreResult:
    args = _args(params)
    names = [args["name"]] if args.get("name") else None
    if args.get("uri"):
        path = os.path.abspath(to_fs_path(args["uri"]) or args["uri"])
        await ls.score_file(path, names, force=True)
        paths = [path]
    else:
        paths = [r.path for r in await ls.score_everything(force=True)]
    out: list[protocol.ScorerSummary] = []
    for path in paths:
        out.extend(s for s in ls.service.summaries(path) if names is None or s["name"] in names)
    return {"scorers": out}


@server.feature(protocol.GENERATE_TRACES)
async def generate_traces(ls: ScoreLensServer, params: Any) -> protocol.GenerateTracesResult:
    args = _args(params)
    dataset = os.path.join(
        ls.workspace_root, str(_required(args, "dataset", protocol.GENERATE_TRACES))
    )
    app = str(_required(args, "app", protocol.GENERATE_TRACES))
    if not ls.settings.trusted:
        raise ValueError("the workspace is not trusted, so ScoreLens does not run its code")
    request = {
        "kind": "generate",
        "store": ls.service.store.root,
        "workspace": ls.workspace_root,
        "dataset": dataset,
        "app": app,
    }
    # An app may legitimately take long; only silence longer than the timeout counts as a hang.
    answer = await ls.with_progress(
        "Generating traces",
        lambda report: ls.service.worker.request(
            request, max(ls.settings.scorer_timeout_seconds, 120), report
        ),
    )
    if answer.get("kind") == "failed":
        raise ValueError(answer["error"])
    # Whoever generates traces wants to see them, whatever set was chosen before.
    ls.service.trace_set.follow_latest()
    ls.follow_trace_set()
    return {
        "runId": answer["runId"],
        "traceCount": answer["traceCount"],
        "failed": answer["failed"],
    }


@server.feature(protocol.RESULT_ROWS)
def result_rows(ls: ScoreLensServer, params: Any) -> protocol.ResultRowsResult:
    args = _args(params)
    service = ls.service
    wanted = args.get("scorers")
    columns = []
    for state in service.scorer_files():
        uri = from_fs_path(state.path) or state.path
        for scorer in state.scan.scorers:
            if wanted is not None and not any(
                w["uri"] == uri and w["name"] == scorer.name for w in wanted
            ):
                continue
            previous = service.previous_hash(state.path, scorer)
            columns.append(
                (
                    service.summary(state, scorer, state.path in ls.dirty),
                    service.rows_for(scorer.source_hash),
                    service.rows_for(previous) if previous else None,
                )
            )
    offset = max(0, int(args.get("offset", 0)))
    total, rows = panel.result_rows(
        service.trace_set.traces(),
        columns,
        offset,
        int(args.get("limit", 100)),
        args.get("filter", "all"),
        args.get("sortBy"),
        bool(args.get("descending", False)),
    )
    return {
        "total": total,
        "offset": offset,
        "rows": rows,
        "columns": [c[0] for c in columns],
        "distributions": panel.distributions(service.trace_set.trace_ids(), columns),
    }


@server.feature(protocol.GET_TRACE)
def get_trace(ls: ScoreLensServer, params: Any) -> protocol.GetTraceResult:
    trace_id = _required(_args(params), "traceId", protocol.GET_TRACE)
    trace = ls.service.trace_set.find(str(trace_id))
    if trace is None:
        raise ValueError(f"no trace {trace_id} in {ls.service.store.root}")
    return {"trace": trace.to_dict()}


@server.feature(protocol.CLEAR_RESULTS)
def clear_results(ls: ScoreLensServer, params: Any) -> protocol.ClearResultsResult:
    cleared = ls.service.clear()
    for path in list(ls.service.files):
        ls.publish(path)
    ls.refresh_lenses()
    # Results are gone, not traces, so nothing is scored again: that would undo the clear.
    ls.send_status("ready", f"cleared the results of {cleared} scorer versions")
    return {"cleared": cleared}


def main() -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("pygls").setLevel(logging.WARNING)
    started = time.monotonic()
    logger.info("scorelens language server %s starting (%s)", scorelens.__version__, sys.executable)
    server.start_io()
    logger.info("stopped after %.1f s", time.monotonic() - started)
