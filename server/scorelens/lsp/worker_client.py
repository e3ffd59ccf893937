"""The language server's handle on its worker process: start, ask, time out, restart.

One request runs at a time (the worker is sequential). A request whose worker stays silent for
longer than the timeout gets the worker killed; a worker that dies is started again on the next
request. Neither takes the server down.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import sys
from collections.abc import Callable
from typing import Any

LogFn = Callable[[str], None]
ProgressFn = Callable[[dict[str, Any]], None]

_STREAM_LIMIT = 256 * 1024 * 1024  # answers for 10,000 traces are one long line


class WorkerError(Exception):
    pass


class WorkerTimeout(WorkerError):
    def __init__(self, seconds: float, scorer: str | None) -> None:
        what = f"scorer '{scorer}'" if scorer else "the worker"
        super().__init__(f"{what} ran past the {seconds:g} s timeout and was stopped")
        self.scorer = scorer


class WorkerCrashed(WorkerError):
    def __init__(self, returncode: int | None, scorer: str | None, stderr_tail: list[str]) -> None:
        what = f" while running scorer '{scorer}'" if scorer else ""
        last = f": {stderr_tail[-1]}" if stderr_tail else ""
        super().__init__(
            f"the worker exited with code {returncode}{what}{last}; it restarts on the next run"
        )
        self.scorer = scorer
        self.returncode = returncode


class WorkerClient:
    def __init__(self, python: str | None, log: LogFn, cwd: str | None = None) -> None:
        self.python = python or sys.executable
        self.log = log
        self.cwd = cwd
        self._process: asyncio.subprocess.Process | None = None
        self._stderr_task: asyncio.Task[None] | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self.requests_sent = 0
        self.restarts = 0

    async def _ensure_started(self) -> asyncio.subprocess.Process:
        if self._process is not None and self._process.returncode is None:
            return self._process
        if self._process is not None:
            self.restarts += 1
        self._process = await asyncio.create_subprocess_exec(
            self.python,
            "-m",
            "scorelens.worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.cwd,
            limit=_STREAM_LIMIT,
        )
        self._stderr_tail.clear()
        self._stderr_task = asyncio.create_task(self._forward_stderr(self._process))
        self.log(f"worker started (pid {self._process.pid}, {self.python})")
        return self._process

    async def _forward_stderr(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            text = line.decode(errors="replace").rstrip()
            self._stderr_tail.append(text)
            self.log(f"worker: {text}" if not text.startswith("worker:") else text)

    async def request(
        self, message: dict[str, Any], timeout: float, on_progress: ProgressFn | None = None
    ) -> dict[str, Any]:
        """Send `message` (an id is added) and return the worker's answer to it."""
        async with self._lock:
            process = await self._ensure_started()
            assert process.stdin is not None and process.stdout is not None
            request_id = next(self._ids)
            payload = {**message, "id": request_id}
            try:
                process.stdin.write((json.dumps(payload) + "\n").encode())
                await process.stdin.drain()
            except (ConnectionResetError, BrokenPipeError):
                # It died between requests (or is being stopped): a crash, not a server error.
                await process.wait()
                raise WorkerCrashed(process.returncode, None, list(self._stderr_tail)) from None
            self.requests_sent += 1
            scorer: str | None = None
            try:
                while True:
                    try:
                        line = await asyncio.wait_for(process.stdout.readline(), timeout)
                    except asyncio.TimeoutError:
                        await self._kill(process)
                        raise WorkerTimeout(timeout, scorer) from None
                    if not line:
                        await process.wait()
                        if self._stderr_task is not None:
                            await asyncio.wait([self._stderr_task], timeout=1)
                        raise WorkerCrashed(process.returncode, scorer, list(self._stderr_tail))
                    answer = json.loads(line)
                    if answer.get("id") != request_id:
                        continue  # the late answer of a request that was cancelled
                    if answer.get("kind") == "progress":
                        scorer = answer.get("scorer") or scorer
                        if on_progress is not None:
                            on_progress(answer)
                        continue
                    return dict(answer)
            except asyncio.CancelledError:
                # Tell the worker to stop early; its answer is skipped by the next request.
                if process.returncode is None:
                    process.stdin.write(
                        (
                            json.dumps({"id": 0, "kind": "cancel", "target": request_id}) + "\n"
                        ).encode()
                    )
                raise

    async def _kill(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            process.kill()
            await process.wait()
        self.log(f"worker (pid {process.pid}) killed")

    async def stop(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 3)
        except asyncio.TimeoutError:
            await self._kill(process)
