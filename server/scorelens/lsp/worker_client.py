"""The language server's handle on its worker process: start, ask, time out, restart.

One request runs at a time (the worker is sequential). A request whose worker stays silent for
longer than the timeout gets the worker killed, with every process it started; a worker that
dies is started again on the next request. Neither takes the server down.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from typing import cast

from scorelens.worker import current
from scorelens.worker.messages import (
    BadMessage,
    CancelRequest,
    FinalAnswer,
    Progress,
    ScorerDone,
    ScorerRows,
    WorkRequest,
    decode_answer,
    encode,
)

LogFn = Callable[[str], None]
ProgressFn = Callable[[Progress], None]
RowsFn = Callable[[ScorerRows | ScorerDone], None]

_STREAM_LIMIT = 256 * 1024 * 1024  # answers for 10,000 traces are one long line
# What user code prints reaches the editor's log, within limits: a scorer printing a megabyte
# per trace must not flood the editor. What is cut is counted and said.
MAX_LINE_CHARS = 2_000
MAX_OUTPUT_PER_REQUEST = 64 * 1024
MAX_LINES_PER_REQUEST = 500
# After the worker exits, what it wrote is read for this long: a child it started may hold the
# pipe open forever, and that must not stall the server.
_DRAIN_AFTER_EXIT_S = 0.5
_EXIT_GRACE_S = 5.0
_CRASHED_THREAD = re.compile(r"^Current thread 0x([0-9a-f]+)")


class WorkerError(Exception):
    scorer: str | None = None


class WorkerTimeout(WorkerError):
    def __init__(self, seconds: float, scorer: str | None, traces: str | None = None) -> None:
        what = f"scorer '{scorer}'" if scorer else "the worker"
        on = f" on {traces}" if scorer and traces else ""
        super().__init__(f"{what} ran past the {seconds:g} s timeout{on} and was stopped")
        self.scorer = scorer


class WorkerCrashed(WorkerError):
    def __init__(
        self,
        returncode: int | None,
        scorer: str | None,
        output: list[str],
        traces: str | None = None,
    ) -> None:
        where = ""
        if scorer and traces:
            where = f" while scorer '{scorer}' was scoring {traces}"
        elif scorer:
            where = f" while running scorer '{scorer}'"
        last = f": {output[-1]}" if output else ""
        super().__init__(
            f"the worker {describe_exit(returncode)}{where}{last}; it restarts on the next run"
        )
        self.scorer = scorer
        self.returncode = returncode


def describe_exit(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with code {returncode}"


class WorkerClient:
    def __init__(self, python: str | None, log: LogFn, cwd: str | None = None) -> None:
        self.python = python or sys.executable
        self.log = log
        self.cwd = cwd  # the workspace: the worker works there once it has started
        self._process: asyncio.subprocess.Process | None = None
        self._stderr_task: asyncio.Task[None] | None = None
        # Lines user code printed during the current request, for a crash message.
        self._output: collections.deque[str] = collections.deque(maxlen=20)
        self._output_left = MAX_OUTPUT_PER_REQUEST
        self._lines_left = MAX_LINES_PER_REQUEST
        self._output_cut = 0
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._home: str | None = None
        self._in_crash_dump = False
        self._crashed_thread: int | None = None

    def _private_folder(self) -> str:
        # The worker starts here, not in the workspace: a workspace module must not shadow one
        # the worker imports before it is asked to run user code. Also holds the current-work
        # file.
        if self._home is None or not os.path.isdir(self._home):
            self._home = tempfile.mkdtemp(prefix="scorelens-worker-")
            current.create(self._current_path())
        return self._home

    def _current_path(self) -> str:
        assert self._home is not None
        return os.path.join(self._home, "current")

    async def _ensure_started(self) -> asyncio.subprocess.Process:
        if self._process is not None and self._process.returncode is None:
            return self._process
        home = self._private_folder()
        args = ["-m", "scorelens.worker", "--current", self._current_path()]
        if self.cwd is not None:
            args += ["--workspace", self.cwd]
        self._process = await asyncio.create_subprocess_exec(
            self.python,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=home,
            limit=_STREAM_LIMIT,
            # Its own process group, so a timeout kills whatever user code started too.
            start_new_session=True,
        )
        self._stderr_task = asyncio.create_task(self._forward_stderr(self._process))
        self.log(f"worker started (pid {self._process.pid}, {self.python})")
        return self._process

    async def _forward_stderr(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            text = line.decode(errors="replace").rstrip()
            if text.startswith("worker:"):
                self.log(text)  # our own bookkeeping, one short line per request
                continue
            # A crash dump (faulthandler): it names the crashing thread, and what user code
            # said before it is the better last word in the crash message.
            if text.startswith("Fatal Python error"):
                self._in_crash_dump = True
            crashed = _CRASHED_THREAD.match(text)
            if crashed:
                self._crashed_thread = int(crashed[1], 16)
            if len(text) > MAX_LINE_CHARS:
                text = f"{text[:MAX_LINE_CHARS]} … [{len(text) - MAX_LINE_CHARS:,} characters cut]"
            if not self._in_crash_dump:
                self._output.append(text[:500])
            if self._output_left <= 0 or self._lines_left <= 0:
                self._output_cut += len(line)
                continue
            self._output_left -= len(text)
            self._lines_left -= 1
            self.log(f"worker: {text}")
            if self._output_left <= 0 or self._lines_left <= 0:
                self.log(
                    f"worker: output past {MAX_OUTPUT_PER_REQUEST // 1024} KB or "
                    f"{MAX_LINES_PER_REQUEST} lines in one run is not shown; how much was cut "
                    "follows when the run ends"
                )

    def _start_request(self) -> None:
        self._output.clear()
        self._output_left = MAX_OUTPUT_PER_REQUEST
        self._lines_left = MAX_LINES_PER_REQUEST
        self._output_cut = 0
        self._in_crash_dump = False
        self._crashed_thread = None
        if self._home is not None:
            current.clear(self._current_path())

    def _end_request(self) -> None:
        if self._output_cut:
            self.log(f"worker: {self._output_cut:,} bytes of output were not shown")
            self._output_cut = 0

    def _where(self) -> tuple[str | None, str | None]:
        """The scorer the worker was on, and which of its traces: the one whose thread the
        crash dump names, else those in flight (a scorer runs several traces at once)."""
        if self._home is None:
            return None, None
        scorer, in_flight = current.read(self._current_path())
        if self._crashed_thread in in_flight:
            return scorer, f"trace {in_flight[self._crashed_thread]}"
        traces = sorted(in_flight.values())
        if len(traces) <= 1:
            return scorer, f"trace {traces[0]}" if traces else None
        shown = ", ".join(traces[:3]) + (", …" if len(traces) > 3 else "")
        return scorer, f"traces {shown} (scored at once)"

    async def _next_line(self, process: asyncio.subprocess.Process, timeout: float) -> bytes:
        """The worker's next line; b"" once it has exited; TimeoutError when silent too long."""
        assert process.stdout is not None
        read = asyncio.ensure_future(process.stdout.readline())
        exited = asyncio.ensure_future(process.wait())
        try:
            done, _ = await asyncio.wait(
                {read, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if read in done:
                return read.result()
            if exited in done:
                done, _ = await asyncio.wait({read}, timeout=_DRAIN_AFTER_EXIT_S)
                return read.result() if read in done else b""
            raise asyncio.TimeoutError
        finally:
            for task in (read, exited):
                if not task.done():
                    task.cancel()

    async def request(
        self,
        message: WorkRequest,
        timeout: float,
        on_progress: ProgressFn | None = None,
        on_rows: RowsFn | None = None,
    ) -> FinalAnswer:
        """Send `message` (under an id of ours) and return the worker's answer to it.

        Progress messages go to `on_progress`; each scorer's results, as they come in and when
        that scorer is done, to `on_rows`, so they are kept even if a later scorer hangs or
        crashes.
        """
        async with self._lock:
            process = await self._ensure_started()
            assert process.stdin is not None and process.stdout is not None
            request_id = next(self._ids)
            payload = cast(WorkRequest, {**message, "id": request_id})
            self._start_request()
            try:
                process.stdin.write(encode(payload))
                await process.stdin.drain()
            except (ConnectionResetError, BrokenPipeError):
                # It died between requests (or is being stopped): a crash, not a server error.
                await self._reap(process)
                raise WorkerCrashed(process.returncode, None, list(self._output)) from None
            scorer: str | None = None
            try:
                while True:
                    try:
                        line = await self._next_line(process, timeout)
                    except asyncio.TimeoutError:
                        noted_scorer, traces = self._where()
                        await self._kill(process)
                        raise WorkerTimeout(timeout, scorer or noted_scorer, traces) from None
                    if not line:
                        # Its output closed: let it finish exiting, so its own code is reported,
                        # and its crash dump is read, which names the crashing thread.
                        with contextlib.suppress(asyncio.TimeoutError):
                            await asyncio.wait_for(process.wait(), _EXIT_GRACE_S)
                        await self._reap(process)
                        noted_scorer, traces = self._where()
                        raise WorkerCrashed(
                            process.returncode,
                            scorer or noted_scorer,
                            list(self._output),
                            traces,
                        )
                    try:
                        answer = decode_answer(line)
                    except BadMessage as exc:
                        self.log(f"worker: ignored an answer: {exc}")
                        continue
                    if answer["id"] != request_id:
                        continue  # the late answer of a request that was cancelled
                    if answer["kind"] == "progress":
                        scorer = answer["scorer"] or scorer
                        if on_progress is not None:
                            on_progress(answer)
                        continue
                    if answer["kind"] == "scorerRows" or answer["kind"] == "scorerDone":
                        if on_rows is not None:
                            on_rows(answer)
                        continue
                    return answer
            except asyncio.CancelledError:
                # Tell the worker to stop early; its answer is skipped by the next request.
                if process.returncode is None:
                    cancel: CancelRequest = {"id": 0, "kind": "cancel", "target": request_id}
                    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                        process.stdin.write(encode(cancel))
                raise
            finally:
                self._end_request()

    async def _kill(self, process: asyncio.subprocess.Process) -> None:
        await self._reap(process)
        self.log(f"worker (pid {process.pid}) killed")

    async def _reap(self, process: asyncio.subprocess.Process) -> None:
        """End the worker and every process it started (its process group), and wait for it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.wait()
        if self._stderr_task is not None:
            # A child holding stderr open would keep it going: what it says is not worth a wait.
            await asyncio.wait([self._stderr_task], timeout=_DRAIN_AFTER_EXIT_S)

    async def stop(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(process.wait(), 3)
        if process is not None:
            await self._reap(process)  # also what user code left running
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None
