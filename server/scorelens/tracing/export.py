"""Writing traces recorded outside `evaluate` to the store, in batches.

A trace is written at most ~1 s after it ends (a timer thread), when 256 are waiting, at exit,
or when this process searches the store - never one file rewrite per trace. A write that fails
drops its traces and is reported once (see tracing.report); it never raises into the app.
"""

from __future__ import annotations

import atexit
import threading
import time

from scorelens.entities import Trace
from scorelens.store import TraceStore
from scorelens.tracing.report import recording_failed, recording_works

_MAX_PENDING = 256
_MAX_DELAY_S = 1.0


class BufferedTraceExporter:
    def __init__(self) -> None:
        self._pending: dict[str, tuple[TraceStore, list[Trace]]] = {}
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._last_flush = 0.0

    def export(self, store: TraceStore, trace: Trace) -> None:
        with self._lock:
            self._pending.setdefault(store.root, (store, []))[1].append(trace)
            waiting = sum(len(t) for _, t in self._pending.values())
            due = waiting >= _MAX_PENDING or time.monotonic() - self._last_flush > _MAX_DELAY_S
            if not due and self._timer is None:
                self._timer = threading.Timer(_MAX_DELAY_S, self.flush)
                self._timer.daemon = True
                self._timer.start()
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._last_flush = time.monotonic()
        for store, traces in pending.values():
            key = "store:" + store.root
            try:
                store.append_traces(traces)
            except Exception as exc:
                recording_failed(key, f"cannot write to the store at {store.root}: {exc}")
            else:
                recording_works(key)


exporter = BufferedTraceExporter()
atexit.register(exporter.flush)
