"""The language server's state and how it tells the client things; handlers live in features/.

One server-side change, one message: a run's end is one `scoresChanged` with the scorers whose
figures changed, a change of state or of the active trace set is one `status`, and lenses and
diagnostics are refreshed once per change.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path

import scorelens
from scorelens.judging import PriceTable, judge_cache_enabled
from scorelens.lsp import diagnostics, protocol
from scorelens.lsp.rpc import AnsweredRequestError, ScoreLensProtocol
from scorelens.lsp.scheduler import Scheduler
from scorelens.lsp.scoring import RunReport, ScoringService
from scorelens.lsp.settings import Settings
from scorelens.lsp.worker_client import WorkerClient
from scorelens.lsp.workspace_files import FileState

P = TypeVar("P")
R = TypeVar("R")

logger = logging.getLogger("scorelens.lsp")


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
        self.announced_labels: tuple[int, int] | None = None  # LabelBook.generation() shown
        self.scheduler = Scheduler(self)

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
        self.apply_settings(service)
        service.files.scan_all()
        return service

    def apply_settings(self, service: ScoringService) -> None:
        """What a run reads from the settings; a change applies from the next run."""
        service.timeout = self.settings.scorer_timeout_seconds
        service.max_workers = self.settings.max_workers
        service.judge_cache = judge_cache_enabled(self.settings.judge_cache)
        try:
            service.prices = PriceTable(self.settings.judge_prices)
        except ValueError as exc:  # SCORELENS_JUDGE_PRICES names an unreadable file
            self.log(str(exc))
            service.prices = PriceTable.built_in()

    async def reset_service(self) -> None:
        # Runs in flight belong to the old service and its worker: end them first.
        await self.scheduler.cancel_all()
        if self._service is not None:
            await self._service.results.flush()
            await self._service.worker.stop()
        self._service = None

    def report_server_error(self, error: Exception, source: Any) -> None:
        if isinstance(error, AnsweredRequestError):
            self.log(str(error))  # the request itself was answered with this error
            return
        super().report_server_error(error, source)

    def log(self, message: str) -> None:
        logger.info(message)
        # Before the connection is up there is nobody to tell.
        with contextlib.suppress(Exception):
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Log, message=message)
            )

    # -- documents ------------------------------------------------------------------------------

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

    # -- telling the client ---------------------------------------------------------------------

    def notify(self, notification: protocol.Notification[P], params: P) -> None:
        self.protocol.notify(notification.method, params)

    def trace_set(self) -> protocol.TraceSet:
        ids = self.service.trace_set.trace_ids()  # first: it resolves which run is active
        return {"runId": self.service.trace_set.run_id, "traceCount": len(ids)}

    def send_status(self, state: Literal["ready", "running", "error"], message: str) -> None:
        self.announced_set = self.trace_set_key()
        self.notify(
            protocol.status,
            protocol.StatusParams(state=state, message=message, traceSet=self.trace_set()),
        )

    def trace_set_key(self) -> tuple[str | None, int, int]:
        trace_set = self.service.trace_set
        ids = trace_set.trace_ids()
        return (trace_set.run_id, len(ids), trace_set.generation)

    def publish(self, path: str) -> None:
        state = self.service.files.get(path)
        uri = from_fs_path(path) or path
        found = (
            []
            if state is None
            else diagnostics.for_file(
                state, self.service.failing, len(self.service.trace_set.trace_ids())
            )
        )
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found)
        )

    def publish_all(self) -> None:
        for path in self.service.files.paths():
            self.publish(path)

    def refresh_lenses(self) -> None:
        capabilities = self.client_capabilities.workspace
        if capabilities and capabilities.code_lens and capabilities.code_lens.refresh_support:
            self.workspace_code_lens_refresh(None)

    def announce_so_far(self, state: FileState, elapsed_ms: float) -> None:
        """A run still going: its scorers' figures so far, for the panel to show."""
        self.notify(
            protocol.scores_changed,
            protocol.ScoresChangedParams(
                uri=from_fs_path(state.path) or state.path,
                changed=self.service.summaries_so_far(state, state.path in self.dirty),
                durationMs=elapsed_ms,
                workerCalled=True,
                running=True,
            ),
        )

    def announce(self, report: RunReport) -> None:
        # The run's figures were made with the labels as they are now: a store event that
        # changed nothing else has nothing new to show.
        self.announced_labels = self.service.labels.generation()
        self.notify(
            protocol.scores_changed,
            protocol.ScoresChangedParams(
                uri=from_fs_path(report.path) or report.path,
                changed=report.changed,
                durationMs=report.duration_ms,
                workerCalled=report.worker_called,
                running=False,
            ),
        )


server = ScoreLensServer()


def handles(
    request: protocol.Request[P, R],
) -> Callable[[Callable[[ScoreLensServer, P], R | Awaitable[R]]], Any]:
    """Register a handler of a custom request: it takes the declared params type (pygls reads
    them so, see lsp/rpc.py) and must return the declared result type."""
    register: Callable[[Callable[[ScoreLensServer, P], R | Awaitable[R]]], Any] = server.feature(
        request.method
    )
    return register
