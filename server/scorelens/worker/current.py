"""Which scorer and traces the worker is on, readable after the worker died.

The worker writes it into a small memory-mapped file as each trace starts and ends (a copy of a
few bytes, cheap enough for every trace); the server reads it when the worker crashed or hung,
to say which trace did it. A message per trace over the pipe would cost far more. Several
traces may be in flight at once (scorers run rows in a pool), each noted with the thread that
runs it: a crash dump names the thread that crashed, which names the trace.

The note: `<scorer>` then, per trace in flight, a tab and `<thread ident>:<trace id>`.
"""

from __future__ import annotations

import mmap
import os
import threading

SIZE = 1024


def create(path: str) -> None:
    with open(path, "wb") as handle:
        handle.write(b"\0" * SIZE)


def clear(path: str) -> None:
    """Forget the last note, in place: a worker still finishing a cancelled request may have
    the file mapped, and truncating a mapped file would crash it (SIGBUS) on its next write."""
    try:
        with open(path, "r+b") as handle:
            handle.write(b"\0" * SIZE)
    except FileNotFoundError:
        create(path)  # removed under us (a temp-folder cleaner); a new one serves from now on


class CurrentWork:
    """The worker's side: note the traces being run, and by which thread."""

    def __init__(self, path: str | None) -> None:
        self._map: mmap.mmap | None = None
        self._scorer: str | None = None
        self._in_flight: dict[str, int] = {}  # trace id -> thread ident
        if path is not None and os.path.exists(path):
            with open(path, "r+b") as handle:
                self._map = mmap.mmap(handle.fileno(), SIZE)

    def begin(self, scorer: str, trace_id: str) -> None:
        if self._scorer != scorer:
            self._scorer, self._in_flight = scorer, {}
        self._in_flight[trace_id] = threading.get_ident()
        self._write()

    def end(self, trace_id: str) -> None:
        self._in_flight.pop(trace_id, None)
        self._write()

    def clear(self) -> None:
        self._scorer, self._in_flight = None, {}
        self._write()

    def _write(self) -> None:
        if self._map is None:
            return
        parts = [self._scorer or ""] + [f"{t}:{i}" for i, t in self._in_flight.items()]
        text = "\t".join(parts).encode()[: SIZE - 1]
        self._map[: len(text) + 1] = text + b"\0"


def read(path: str) -> tuple[str | None, dict[int, str]]:
    """The scorer last noted (None if unknown) and its traces in flight, by thread ident."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(SIZE)
    except OSError:
        return None, {}
    scorer, *flying = raw.split(b"\0", 1)[0].decode(errors="replace").split("\t")
    in_flight: dict[int, str] = {}
    for item in flying:
        ident, _, trace_id = item.partition(":")
        if ident.isdigit() and trace_id:
            in_flight[int(ident)] = trace_id
    return scorer or None, in_flight
