"""The active trace set: which stored traces scorers are run against and shown for.

By default it follows the latest run that has traces. A set the user chose is kept in
`<store>/trace_set.json`, so a server restart or a window reload does not undo the choice.

The server holds the set's ids and where each trace is stored (store/trace_index.py), not the
traces: its worker holds what scorers read. Previews and whole traces are read when asked for.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable

from scorelens.entities import Trace
from scorelens.store import TraceStore
from scorelens.store.atomic_file import write_atomically
from scorelens.store.trace_index import TraceIndex
from scorelens.store.trace_summaries import TraceSummary

SELECTION_FILE = "trace_set.json"


class TraceSet:
    def __init__(self, store: TraceStore) -> None:
        self.store = store
        self.run_id: str | None = None
        self.explicit = False  # False: follow the latest run that has traces
        self._index = TraceIndex(store)
        self.generation = 0
        # The event loop and threads (a first read, a reload of labels) both ask for the ids.
        self._lock = threading.Lock()
        self._selection_path = os.path.join(store.root, SELECTION_FILE)
        self._restore()

    def select(self, run_id: str | None) -> None:
        if run_id is not None and self.store.get_run(run_id) is None:
            raise ValueError(f"no run {run_id} in {self.store.root}")
        self.run_id, self.explicit = run_id, True
        self._save()

    def follow_latest(self) -> None:
        """Back to the default: the latest run with traces (after generating a new one)."""
        self.explicit = False
        self._save()

    def _save(self) -> None:
        os.makedirs(self.store.root, exist_ok=True)
        chosen = {"explicit": self.explicit, "runId": self.run_id if self.explicit else None}
        write_atomically(self._selection_path, json.dumps(chosen).encode())

    def _restore(self) -> None:
        try:
            with open(self._selection_path, encoding="utf-8") as handle:
                chosen = json.load(handle)
        except (OSError, ValueError):
            return  # none yet, or unreadable: follow the latest run
        if not (isinstance(chosen, dict) and chosen.get("explicit") is True):
            return
        run_id = chosen.get("runId")
        if run_id is None or (isinstance(run_id, str) and self.store.get_run(run_id) is not None):
            self.run_id, self.explicit = run_id, True

    def _resolve(self) -> str | None:
        if not self.explicit:
            latest = self.store.latest_run_with_traces()
            self.run_id = None if latest is None else str(latest["run_id"])
        return self.run_id

    def trace_ids(self) -> list[str]:
        """The ids, in stored order; `generation` changes whenever they do, so callers can
        memoise on it. With no run holding traces yet, traces recorded outside runs are all
        there is."""
        with self._lock:
            if self._index.refresh(self.store.groups(run_id=self._resolve())):
                self.generation += 1
            return self._index.ids

    def groups(self) -> list[str]:
        """The store's groups the active traces are in."""
        self.trace_ids()
        return self._index.groups()

    def assessments_stamp(self) -> tuple[object, ...]:
        """Changes whenever the active traces' assessments may have: memoise labels on it."""
        return tuple(self.store.assessments_stamp(group) for group in self.groups())

    def group_of(self, trace_id: str) -> str | None:
        """The group of an active trace (None when it is not active)."""
        return self._index.group_of(trace_id)

    def summaries(self, trace_ids: Iterable[str]) -> dict[str, TraceSummary]:
        """Id, state and previews of those of these traces that are active, read from the
        store's summaries."""
        return self._index.summaries(trace_ids)

    def find(self, trace_id: str) -> Trace | None:
        """A whole stored trace, active or not, read from the store."""
        return self._index.read_trace(trace_id) or self.store.find_trace(trace_id)
