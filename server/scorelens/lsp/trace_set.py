"""The active trace set: which stored traces scorers are run against and shown for.

By default it follows the latest run that has traces. A set the user chose is kept in
`<store>/trace_set.json`, so a server restart or a window reload does not undo the choice.
"""

from __future__ import annotations

import json
import os

from scorelens.entities import Trace
from scorelens.store import TraceStore
from scorelens.store.atomic_file import write_atomically
from scorelens.store.trace_cache import TraceCache

SELECTION_FILE = "trace_set.json"


class TraceSet:
    def __init__(self, store: TraceStore) -> None:
        self.store = store
        self.run_id: str | None = None
        self.explicit = False  # False: follow the latest run that has traces
        self._cache = TraceCache()
        self._ids_of: list[Trace] | None = None
        self._ids: list[str] = []
        self._by_id_of: list[Trace] | None = None
        self._by_id: dict[str, Trace] = {}
        self.generation = 0
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

    def traces(self) -> list[Trace]:
        # With no run holding traces yet, traces recorded outside runs are all there is.
        return self._cache.get(self.store.root, self._resolve())

    def assessments_generation(self) -> int:
        """Changes whenever the active traces' assessments may have: memoise labels on it."""
        self.traces()
        return self._cache.assessments_generation

    def trace_ids(self) -> list[str]:
        """The ids; `generation` changes whenever they do, so callers can memoise on it."""
        traces = self.traces()
        if traces is not self._ids_of:
            self._ids_of, self._ids = traces, [t.trace_id for t in traces]
            self.generation += 1
        return self._ids

    def find_loaded(self, trace_id: str) -> Trace | None:
        """The active trace of that id, from memory (None when it is not active)."""
        traces = self.traces()
        if traces is not self._by_id_of:
            self._by_id_of, self._by_id = traces, {t.trace_id: t for t in traces}
        return self._by_id.get(trace_id)

    def find(self, trace_id: str) -> Trace | None:
        for trace in self.traces():
            if trace.trace_id == trace_id:
                return trace
        for group in self.store.groups():
            for trace in self.store.load_traces(group):
                if trace.trace_id == trace_id:
                    return trace
        return None
