"""The trace store: the only state ScoreLens processes share.

Layout under the tracking root (default `./.scorelens`)::

    index.json                      experiments and runs (small; every change rewrites it)
    traces/<group>/<segment>.json   traces, written once per batch and never rewritten
    assessments/<group>.json        latest Feedback per (trace, scorer name) for that group
    locks/                          lock files serialising writers of index and assessments

A *group* is a run id, or `exp-<experiment id>` for traces recorded outside any run. All files are
TinyDB JSON documents replaced atomically (temp file, fsync, rename), so readers need no lock and
a crash leaves the previous file intact. Re-scoring writes only `assessments/` and `index.json`.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from typing import Any

from scorelens.entities import Feedback, Trace
from scorelens.store.file_lock import FileLock
from scorelens.store.tinydb_files import open_db, read_table

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


def group_of(trace: Trace) -> str:
    return trace.info.run_id or f"exp-{trace.info.experiment_id}"


class TraceStore:
    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.index_path = os.path.join(self.root, "index.json")
        self.traces_dir = os.path.join(self.root, "traces")
        self.assessments_dir = os.path.join(self.root, "assessments")
        self.locks_dir = os.path.join(self.root, "locks")
        self._index_cache: dict[str, tuple[tuple[Any, ...], list[dict[str, Any]]]] = {}

    def _index_table(self, table: str) -> list[dict[str, Any]]:
        """A table of index.json; re-read only when the file was replaced since the last read.

        The language server asks for the runs on every lens request; the index changes rarely.
        """
        try:
            stat = os.stat(self.index_path)
        except FileNotFoundError:
            return []
        key = (table, stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._index_cache.get(table)
        if cached is None or cached[0] != key:
            cached = self._index_cache[table] = (key, read_table(self.index_path, table))
        return [dict(doc) for doc in cached[1]]

    def _lock(self, name: str) -> FileLock:
        os.makedirs(self.locks_dir, exist_ok=True)
        return FileLock(os.path.join(self.locks_dir, name + ".lock"))

    # -- experiments -------------------------------------------------------------------------

    def list_experiments(self) -> list[dict[str, Any]]:
        stored = self._index_table("experiments")
        if not any(e["experiment_id"] == DEFAULT_EXPERIMENT_ID for e in stored):
            stored.insert(0, {"experiment_id": DEFAULT_EXPERIMENT_ID, "name": "Default"})
        return stored

    def find_experiment(self, name_or_id: str) -> dict[str, Any] | None:
        for experiment in self.list_experiments():
            if name_or_id in (experiment["name"], experiment["experiment_id"]):
                return experiment
        return None

    def get_or_create_experiment(self, name: str) -> str:
        found = self.find_experiment(name)
        if found is not None:
            return str(found["experiment_id"])
        with self._lock("index"), open_db(self._ensure_root()) as db:
            table = db.table("experiments")
            existing = table.all()
            for experiment in existing:
                if experiment["name"] == name:
                    return str(experiment["experiment_id"])
            numeric = [int(e["experiment_id"]) for e in existing if e["experiment_id"].isdigit()]
            new_id = str(max(numeric, default=0) + 1)
            table.insert({"experiment_id": new_id, "name": name, "created": _now_ms()})
            return new_id

    # -- runs --------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        kind: str,
        name: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        run = {
            "run_id": uuid.uuid4().hex,
            "experiment_id": experiment_id,
            "kind": kind,
            "name": name or kind,
            "status": "RUNNING",
            "start_time": _now_ms(),
            "end_time": None,
            "params": params or {},
            "metrics": {},
            "trace_count": 0,
            "source_run_ids": [],
        }
        with self._lock("index"), open_db(self._ensure_root()) as db:
            db.table("runs").insert(run)
        return run

    def update_run(self, run_id: str, **fields: Any) -> None:
        with self._lock("index"), open_db(self._ensure_root()) as db:
            runs = db.table("runs")
            for doc in runs.all():
                if doc["run_id"] == run_id:
                    runs.update(fields, doc_ids=[doc.doc_id])
                    return
        raise KeyError(f"no run {run_id} in {self.root}")

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        return next((r for r in self.list_runs() if r["run_id"] == run_id), None)

    def list_runs(self, experiment_id: str | None = None) -> list[dict[str, Any]]:
        """Runs, newest first."""
        runs = self._index_table("runs")
        if experiment_id is not None:
            runs = [r for r in runs if r["experiment_id"] == experiment_id]
        return sorted(runs, key=lambda r: r["start_time"], reverse=True)

    def latest_run_with_traces(self, experiment_id: str | None = None) -> dict[str, Any] | None:
        return next((r for r in self.list_runs(experiment_id) if r["trace_count"] > 0), None)

    # -- traces ------------------------------------------------------------------------------

    def append_traces(self, traces: Iterable[Trace]) -> None:
        """Store a batch of traces: one new segment file per group, nothing rewritten."""
        by_group: dict[str, list[dict[str, Any]]] = {}
        for trace in traces:
            by_group.setdefault(group_of(trace), []).append(trace.to_dict())
        if not by_group:
            return
        for group, docs in by_group.items():
            folder = os.path.join(self.traces_dir, group)
            os.makedirs(folder, exist_ok=True)
            segment = f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(3).hex()}.json"
            with open_db(os.path.join(folder, segment)) as db:
                db.table("traces").insert_multiple(docs)
        run_counts = {g: len(d) for g, d in by_group.items() if not g.startswith("exp-")}
        if run_counts:
            with self._lock("index"), open_db(self._ensure_root()) as db:
                runs = db.table("runs")
                for doc in runs.all():
                    added = run_counts.get(doc["run_id"])
                    if added:
                        runs.update(
                            {"trace_count": doc["trace_count"] + added}, doc_ids=[doc.doc_id]
                        )

    def groups(self, experiment_id: str | None = None, run_id: str | None = None) -> list[str]:
        if run_id is not None:
            return [run_id]
        if not os.path.isdir(self.traces_dir):
            return []
        present = set(os.listdir(self.traces_dir))
        if experiment_id is None:
            return sorted(present)
        wanted = {r["run_id"] for r in self.list_runs(experiment_id)} | {f"exp-{experiment_id}"}
        return sorted(present & wanted)

    def load_traces(self, group: str) -> list[Trace]:
        folder = os.path.join(self.traces_dir, group)
        try:
            segments = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
        except FileNotFoundError:
            return []
        traces: list[Trace] = []
        for segment in segments:
            for doc in read_table(os.path.join(folder, segment), "traces"):
                traces.append(Trace.from_dict(doc))
        return traces

    # -- assessments -------------------------------------------------------------------------

    def _assessments_path(self, group: str) -> str:
        return os.path.join(self.assessments_dir, group + ".json")

    def load_assessments(self, group: str) -> dict[str, list[Feedback]]:
        docs = read_table(self._assessments_path(group), "assessments")
        return {
            d["trace_id"]: [Feedback.from_dict(f) for f in d["feedback"].values()] for d in docs
        }

    def save_assessments(self, group: str, feedback: dict[str, list[Feedback]]) -> None:
        """Merge feedback into the group's file: the newest value per (trace, name) wins."""
        os.makedirs(self.assessments_dir, exist_ok=True)
        with self._lock("assessments-" + group), open_db(self._assessments_path(group)) as db:
            table = db.table("assessments")
            merged: dict[str, dict[str, Any]] = {d["trace_id"]: d["feedback"] for d in table.all()}
            for trace_id, items in feedback.items():
                slot = merged.setdefault(trace_id, {})
                for item in items:
                    slot[item.name or ""] = item.to_dict()
            table.truncate()
            table.insert_multiple({"trace_id": t, "feedback": f} for t, f in merged.items())

    def _ensure_root(self) -> str:
        os.makedirs(self.root, exist_ok=True)
        return self.index_path


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
