"""`python -m scorelens.worker`: serve score and generate requests from the language server.

stdin carries requests; answers go to the file descriptor that was stdout when the process
started. That descriptor is then pointed at stderr, so whatever user code prints - through
print, logging or C code - lands in the server's log instead of corrupting the answers.

The server starts it in a private folder (so no workspace module can shadow one of ours) with
`--workspace`, where it then works, and `--current`, the file it notes its current trace in.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import queue
import sys
import threading
import time
from typing import BinaryIO

from scorelens.heap import QUIET_AFTER_S, collect_and_freeze
from scorelens.worker.current import CurrentWork
from scorelens.worker.messages import (
    Answer,
    BadMessage,
    Failed,
    WorkRequest,
    decode_request,
    encode,
)
from scorelens.worker.tasks import Cancelled, Tasks


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scorelens.worker")
    parser.add_argument("--workspace", help="folder user code runs in (relative paths)")
    parser.add_argument("--current", help="file to note the scorer and trace being run in")
    options = parser.parse_args()
    if options.workspace:
        os.chdir(options.workspace)
    # A segfault in user code (or a C extension) then leaves its Python stack in the log.
    faulthandler.enable()
    answers: BinaryIO = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    requests: queue.Queue[WorkRequest | None] = queue.Queue()
    cancelled: set[int] = set()
    write_lock = threading.Lock()

    def emit(message: Answer) -> None:
        line = encode(message)
        with write_lock:
            answers.write(line)

    def read_requests() -> None:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                request = decode_request(line)
            except BadMessage as exc:
                print(f"worker: ignored a request: {exc}", file=sys.stderr, flush=True)
                continue
            if request["kind"] == "cancel":
                cancelled.add(request["target"])
            else:
                requests.put(request)
        requests.put(None)  # the server closed our stdin: finish

    threading.Thread(target=read_requests, daemon=True).start()
    tasks = Tasks(emit, lambda request_id: request_id in cancelled, CurrentWork(options.current))
    while (request := _next_request(requests)) is not None:
        started = time.monotonic()
        try:
            emit(tasks.handle(request))
        except Cancelled:
            pass
        except Exception as exc:
            failure: Failed = {
                "id": request["id"],
                "kind": "failed",
                "error": f"{type(exc).__name__}: {exc}",
            }
            emit(failure)
        finally:
            cancelled.discard(request["id"])
        print(
            f"worker: {request['kind']} #{request['id']} took {time.monotonic() - started:.3f} s",
            file=sys.stderr,
            flush=True,
        )


def _next_request(requests: queue.Queue[WorkRequest | None]) -> WorkRequest | None:
    try:
        return requests.get(timeout=QUIET_AFTER_S)
    except queue.Empty:
        collect_and_freeze()  # it blocks the worker: only when no request waits
        return requests.get()


if __name__ == "__main__":
    main()
