"""Whole traces kept in memory between uses, reloaded when the store changed: the worker's, for
scorers that declare `trace` (the rest read worker/trace_rows.py's rows)."""

from __future__ import annotations

import os

from scorelens.entities import Trace
from scorelens.store.trace_store import TraceStore, attach_assessments, group_of


class TraceCache:
    def __init__(self) -> None:
        self._key: tuple[str, str | None, tuple[str, ...]] | None = None
        self._assessments_key: tuple[object, ...] | None = None
        self._traces: list[Trace] = []

    def get(self, store_root: str, run_id: str | None) -> list[Trace]:
        store = TraceStore(store_root)
        groups = store.groups(run_id=run_id)
        # Segments are written once and never changed, so their names say what is loaded.
        fingerprint = tuple(
            f"{group}/{name}"
            for group in groups
            for name in sorted(_listdir(os.path.join(store.traces_dir, group)))
        )
        key = (store.root, run_id, fingerprint)
        assessments_key = tuple(store.assessments_stamp(group) for group in groups)
        if key != self._key:
            traces: list[Trace] = []
            for group in groups:
                traces.extend(store.load_traces(group))
            self._traces, self._key = traces, key
        elif assessments_key != self._assessments_key:
            # Only feedback changed (a CLI re-score, log_feedback): the traces stay loaded.
            for group in groups:
                attach_assessments(
                    (t for t in self._traces if group_of(t) == group), store.load_assessments(group)
                )
        self._assessments_key = assessments_key
        return self._traces


def _listdir(folder: str) -> list[str]:
    try:
        return [n for n in os.listdir(folder) if n.endswith(".json")]
    except FileNotFoundError:
        return []
