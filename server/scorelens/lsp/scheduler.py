"""When scoring runs: on save, on request, when the trace set changes; one run per file at a time.

A newer run of a file cancels the older one. A run that lasts past 200 ms shows cancellable
progress, the `running` status and running lenses; a quicker one shows only its result. The
editor waits 250 ms after a lens refresh before it asks for lenses, so a save refreshes them
at once, and the lens request waits for the run: one refresh, and no wait after the run.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types

from scorelens.heap import QUIET_AFTER_S, collect_and_freeze
from scorelens.lsp.scoring import RunReport
from scorelens.worker.messages import Progress

if TYPE_CHECKING:
    from scorelens.lsp.server import ScoreLensServer

T = TypeVar("T")
PROGRESS_DELAY_S = 0.2
# A run longer than this shows its figures so far (within half a second of the save at
# 100,000 traces), then at most this often.
STREAM_AFTER_S = 0.2
STREAM_EVERY_S = 0.5
# How long a lens request waits for a run of its file: a quick run's figures come with the
# first lenses after a save; a longer one shows `scoring…` (or its figures so far, which end
# the wait) and refreshes when it ends.
LENS_WAIT_S = 0.5


class Superseded(Exception):
    """A file's scoring run was cancelled because a newer run of the same file started."""


class Scheduler:
    def __init__(self, ls: ScoreLensServer) -> None:
        self.ls = ls
        self.auto_scoring: asyncio.Task[list[RunReport]] | None = None
        self.file_tasks: dict[str, asyncio.Task[RunReport]] = {}
        self.progress_tasks: dict[str, asyncio.Task[Any]] = {}
        self.superseded: set[asyncio.Task[Any]] = set()  # runs cancelled by a newer run
        # Lens requests waiting for a file's run: they answer with its figures when it ends.
        self.lens_waiters: dict[str, int] = {}
        # Per file, set once its run in flight has shown figures so far: lenses wait no more.
        self.streaming: dict[str, asyncio.Event] = {}
        # Files whose lenses were refreshed at a save and not asked for since: the editor's
        # request is on its way, and shows the run's figures if the run has ended by then.
        self.lens_request_due: set[str] = set()
        self.quiet_collection: asyncio.TimerHandle | None = None

    def refresh_for_save(self, path: str) -> None:
        self.lens_request_due.add(path)
        self.ls.refresh_lenses()

    def lenses_asked(self, path: str) -> None:
        self.lens_request_due.discard(path)

    async def settled(self, path: str) -> None:
        """Wait (briefly) for the file's run in flight, so lenses show its result at once."""
        task = self.file_tasks.get(path)
        streamed = self.streaming.get(path)
        if task is None or task.done() or (streamed is not None and streamed.is_set()):
            return
        self.lens_waiters[path] = self.lens_waiters.get(path, 0) + 1
        shown = asyncio.ensure_future(streamed.wait()) if streamed is not None else None
        try:
            waited: set[asyncio.Future[Any]] = {task} if shown is None else {task, shown}
            await asyncio.wait(waited, timeout=LENS_WAIT_S, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.lens_waiters[path] -= 1
            if shown is not None:
                shown.cancel()

    async def cancel_all(self) -> None:
        running = [t for t in (self.auto_scoring, *self.file_tasks.values()) if t is not None]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def cancel_progress(self, token: str) -> None:
        task = self.progress_tasks.get(token)
        if task is not None:
            task.cancel()

    async def with_progress(
        self,
        title: str,
        work: Callable[[Callable[[Progress], None]], Awaitable[T]],
        on_slow: Callable[[], None] | None = None,
    ) -> T:
        """Run `work`; if it takes over 200 ms, show cancellable work-done progress for it and
        call `on_slow`."""
        ls = self.ls
        token = f"scorelens-{uuid.uuid4().hex[:8]}"
        shown = False

        def on_progress(update: Progress) -> None:
            if not shown or not update["total"]:
                return
            what = f"{update['scorer']}: " if update["scorer"] else ""
            ls.work_done_progress.report(
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
        if on_slow is not None:
            on_slow()
        try:
            await ls.work_done_progress.create_async(token)
            ls.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title=title, cancellable=True, percentage=0)
            )
            shown = True
            return await task
        finally:
            self.progress_tasks.pop(token, None)
            if shown:
                ls.work_done_progress.end(token, types.WorkDoneProgressEnd())

    async def score_file(
        self,
        path: str,
        text: str | None = None,
        names: list[str] | None = None,
        force: bool = False,
    ) -> RunReport:
        """Scan the file once (`text` is what was saved, else it is read) and score it."""
        ls = self.ls
        if self.quiet_collection is not None:
            self.quiet_collection.cancel()
        previous = self.file_tasks.get(path)
        if previous is not None and not previous.done():
            self.superseded.add(previous)
            previous.cancel()
        state = ls.service.files.refresh(path, text)
        if state is None:  # no scorers (any more): clear what was shown for it
            report = RunReport(path, [], False, 0.0)
            ls.publish(path)
            ls.refresh_lenses()
            ls.announce(report)
            return report
        slow = False

        def on_slow() -> None:
            nonlocal slow
            slow = True
            ls.send_status("running", f"scoring {os.path.basename(path)}")
            if path not in self.lens_request_due:
                # The lenses say "scoring…" while it lasts; a request already on its way
                # waits for the run, and a refresh now would only put it off.
                ls.refresh_lenses()

        loop = asyncio.get_running_loop()
        began = loop.time()
        shown_at: float | None = None
        streamed = self.streaming[path] = asyncio.Event()

        def on_rows() -> None:
            nonlocal shown_at
            now = loop.time()
            if now - began < STREAM_AFTER_S:
                return
            if shown_at is not None and now - shown_at < STREAM_EVERY_S:
                return
            shown_at = now
            streamed.set()
            ls.refresh_lenses()  # `scoring 340/1,000 · mean so far 0.72`
            ls.announce_so_far(state, (now - began) * 1000)

        task = asyncio.ensure_future(
            self.with_progress(
                f"Scoring {os.path.basename(path)}",
                lambda report: ls.service.run_file(state, names, force, report, on_rows),
                on_slow,
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
            if self.streaming.get(path) is streamed:
                del self.streaming[path]
            if slow:
                ls.send_status("ready", f"scored {os.path.basename(path)}")
        ls.publish(path)
        if not self.lens_waiters.get(path) and path not in self.lens_request_due:
            ls.refresh_lenses()  # no lens request is coming or waiting to show these figures
        ls.announce(report)
        self.quiet_collection = loop.call_later(QUIET_AFTER_S, self._collect_if_quiet)
        return report

    def _collect_if_quiet(self) -> None:
        if not any(not task.done() for task in self.file_tasks.values()):
            collect_and_freeze()

    async def score_everything(self, force: bool = False) -> list[RunReport]:
        """Score every scorer file: all versions again when forced, else what lacks results."""
        reports = []
        for state in self.ls.service.files.scorer_files():
            try:
                reports.append(await self.score_file(state.path, force=force))
            except Superseded as superseded:
                self.ls.log(str(superseded))
        return reports

    async def follow_trace_set(self, score: bool = True) -> bool:
        """Tell the client when the active trace set changed (a CLI run, a generation, a
        selection); then, with re-score on save on, score every scorer on the new traces.
        True when it changed."""
        ls = self.ls
        # New traces are read from the store in a thread, off the event loop.
        await asyncio.to_thread(ls.service.trace_set.trace_ids)
        if ls.trace_set_key() == ls.announced_set:
            return False
        ls.send_status("ready", "trace set changed")
        ls.publish_all()
        ls.refresh_lenses()
        wanted = score and ls.settings.rescore_on_save and ls.settings.trusted
        if wanted and ls.service.trace_set.trace_ids():
            if self.auto_scoring is not None:
                self.auto_scoring.cancel()
            self.auto_scoring = asyncio.ensure_future(self.score_everything())
        return True
