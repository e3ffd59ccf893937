"""The trace store: the only state ScoreLens processes share.

Layout under the tracking root (default `./.scorelens`)::

    index.json                      experiments and runs (small; every change rewrites it)
    traces/<group>/<segment>.json   traces, written once per batch and never rewritten
    assessments/<group>.json        latest Feedback per (trace, scorer name) for that group
    locks/                          lock files serialising writers of index and assessments

A *group* is a run id, or `exp-<experiment id>` for traces recorded outside any run. All files are
TinyDB JSON documents replaced atomically (temp file, fsync, rename), so readers need no lock and
a crash leaves the previous file intact. Re-scoring writes only `assessments/` and `index.json`.

A run records its writer (host, process id and start). A RUNNING run whose writer has died on
this host reads as KILLED, MLflow's word, and is never chosen by default; the next run created
stores that status and removes the temp files the dead writer left in the run's folder.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from typing import Any

from scorelens.entities import Feedback, Trace
from scorelens.store.atomic_file import write_atomically
from scorelens.store.errors import StoreCorruptError, StoreError, StoreIndexMissingError
from scorelens.store.file_lock import FileLock
from scorelens.store.tinydb_files import open_db, read_table
from scorelens.store.writers import remove_stale_temp_files, this_writer, writer_is_gone

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
RUNNING = "RUNNING"
KILLED = "KILLED"
RECOVERED_RUN_NAME = "recovered"

# Fields every reader of index.json relies on, checked whenever the file is read afresh.
_INDEX_FIELDS: dict[str, dict[str, type]] = {
    "runs": {
        "run_id": str,
        "experiment_id": str,
        "name": str,
        "status": str,
        "start_time": int,
        "trace_count": int,
        "metrics": dict,
    },
    "experiments": {"experiment_id": str, "name": str},
}


def group_of(trace: Trace) -> str:
    return trace.info.run_id or f"exp-{trace.info.experiment_id}"


class TraceStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
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
            self._check_index_present()
            return []
        except NotADirectoryError:
            raise StoreError(_not_a_folder(self.root)) from None
        key = (table, stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._index_cache.get(table)
        if cached is None or cached[0] != key:
            docs = read_table(self.index_path, table)
            _check_index_docs(self.index_path, table, docs)
            cached = self._index_cache[table] = (key, docs)
        return [dict(doc) for doc in cached[1]]

    # -- a lost index --------------------------------------------------------------------------

    def index_missing(self) -> bool:
        """index.json is absent while traces/ holds traces that only it describes.

        Traces of the Default experiment recorded outside any run need no index (it is never
        written for them), so those alone do not count.
        """
        return not os.path.exists(self.index_path) and bool(self._groups_needing_index())

    def _groups_needing_index(self) -> list[str]:
        try:
            groups = os.listdir(self.traces_dir)
        except OSError:
            return []
        default_group = f"exp-{DEFAULT_EXPERIMENT_ID}"
        return [g for g in groups if g != default_group and _has_segments(self._group_dir(g))]

    def _check_index_present(self) -> None:
        # Reading "no runs" from a lost index would hide them, and writing a fresh index over it
        # would make the loss permanent: refuse both until it is rebuilt.
        if self.index_missing():
            raise StoreIndexMissingError(self.index_path, self.traces_dir)

    def rebuild_index(self) -> int:
        """Recreate the index's records of runs and experiments from the trace files on disk.

        A run's id is its folder's name under traces/; its experiment comes from its traces, its
        start and end from their times, and it reads FINISHED under the name "recovered". What
        only the index knew is gone: run names, params, metrics, runs without trace files and
        experiment names (a recovered experiment is named `recovered-<id>`; `--experiment <id>`
        finds it). Records already in the index are kept as they are. An unreadable index.json
        is not replaced (StoreCorruptError): move it aside first. Returns the runs recovered.
        """
        found: dict[str, list[Trace]] = {}
        experiment_ids: set[str] = set()
        for group in self.groups():
            traces = self.load_traces(group)
            if not traces:
                continue
            experiment_ids.update(t.info.experiment_id for t in traces)
            if not group.startswith("exp-"):
                found[group] = traces
        recovered = 0
        with self._lock("index"):
            with open_db(self._ensure_root(check=False)) as db:
                runs = db.table("runs")
                known_runs = {doc.get("run_id") for doc in runs.all()}
                for run_id, traces in sorted(found.items()):
                    if run_id not in known_runs:
                        runs.insert(_recovered_run(run_id, traces))
                        recovered += 1
                experiments = db.table("experiments")
                known_experiments = {doc.get("experiment_id") for doc in experiments.all()}
                for experiment_id in sorted(experiment_ids - known_experiments):
                    if experiment_id != DEFAULT_EXPERIMENT_ID:
                        experiments.insert(
                            {
                                "experiment_id": experiment_id,
                                "name": f"recovered-{experiment_id}",
                                "created": _now_ms(),
                            }
                        )
            if not os.path.exists(self.index_path):
                # Nothing was recoverable (say, only empty trace files): an empty index still
                # ends the "index is missing" state, so the store can be used again.
                write_atomically(self.index_path, b'{"experiments":{},"runs":{}}')
        return recovered

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
            "writer": this_writer(),
        }
        abandoned: list[str] = []
        with self._lock("index"), open_db(self._ensure_root()) as db:
            runs = db.table("runs")
            # This write happens anyway, so it also settles runs whose writer has died.
            for doc in runs.all():
                if doc.get("status") == RUNNING and writer_is_gone(doc.get("writer")):
                    runs.update({"status": KILLED}, doc_ids=[doc.doc_id])
                    abandoned.append(str(doc["run_id"]))
            runs.insert(run)
        for run_id in abandoned:
            remove_stale_temp_files(self._group_dir(run_id))
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
        """Runs, newest first; a RUNNING run whose writer has died reads KILLED."""
        runs = self._index_table("runs")
        if experiment_id is not None:
            runs = [r for r in runs if r["experiment_id"] == experiment_id]
        for run in runs:
            if run["status"] == RUNNING and writer_is_gone(run.get("writer")):
                run["status"] = KILLED
        return sorted(runs, key=lambda r: r["start_time"], reverse=True)

    def latest_run_with_traces(self, experiment_id: str | None = None) -> dict[str, Any] | None:
        """The default run to score: the newest with traces, unless it was killed."""
        return next(
            (
                r
                for r in self.list_runs(experiment_id)
                if r["trace_count"] > 0 and r["status"] != KILLED
            ),
            None,
        )

    # -- traces ------------------------------------------------------------------------------

    def append_traces(self, traces: Iterable[Trace]) -> None:
        """Store a batch of traces: one new segment file per group, nothing rewritten."""
        by_group: dict[str, list[dict[str, Any]]] = {}
        for trace in traces:
            by_group.setdefault(group_of(trace), []).append(trace.to_dict())
        if not by_group:
            return
        for group, docs in by_group.items():
            folder = self._group_dir(group)
            try:
                os.makedirs(folder, exist_ok=True)
            except (NotADirectoryError, FileExistsError):
                raise StoreError(_not_a_folder(folder)) from None
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
        # The index is read even when there are no traces yet, so a damaged store is reported
        # rather than taken for an empty one.
        wanted = (
            None
            if experiment_id is None
            else {r["run_id"] for r in self.list_runs(experiment_id)} | {f"exp-{experiment_id}"}
        )
        try:
            present = set(os.listdir(self.traces_dir))
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            raise StoreError(_not_a_folder(self.traces_dir)) from None
        return sorted(present if wanted is None else present & wanted)

    def load_traces(self, group: str) -> list[Trace]:
        folder = self._group_dir(group)
        try:
            segments = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
        except FileNotFoundError:
            return []
        traces: list[Trace] = []
        for segment in segments:
            path = os.path.join(folder, segment)
            docs = read_table(path, "traces")
            try:
                traces.extend([Trace.from_dict(doc) for doc in docs])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise StoreCorruptError(path, f"not a trace document: {_describe(exc)}") from None
        return traces

    def _group_dir(self, group: str) -> str:
        return os.path.join(self.traces_dir, group)

    # -- assessments -------------------------------------------------------------------------

    def _assessments_path(self, group: str) -> str:
        return os.path.join(self.assessments_dir, group + ".json")

    def load_assessments(self, group: str) -> dict[str, list[Feedback]]:
        path = self._assessments_path(group)
        docs = read_table(path, "assessments")
        try:
            return {
                d["trace_id"]: [Feedback.from_dict(f) for f in d["feedback"].values()] for d in docs
            }
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StoreCorruptError(
                path, f"not an assessments document: {_describe(exc)}"
            ) from None

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

    def _ensure_root(self, check: bool = True) -> str:
        """The index's path, ready to be written."""
        if check and not os.path.exists(self.index_path):
            self._check_index_present()
        os.makedirs(self.root, exist_ok=True)
        return self.index_path


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _not_a_folder(path: str) -> str:
    # Whichever part of the path is the file, naming the deepest one the store needs is enough.
    return f"{path} should be a folder of the store, but it (or a folder above it) is a file"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"no field {exc}"
    return f"{type(exc).__name__}: {exc}"


def _has_segments(folder: str) -> bool:
    try:
        return any(n.endswith(".json") for n in os.listdir(folder))
    except OSError:
        return False


def _check_index_docs(path: str, table: str, docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        for name, kind in _INDEX_FIELDS.get(table, {}).items():
            value = doc.get(name)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise StoreCorruptError(
                    path, f"a record of {table!r} has no valid {name!r}: {dict(doc)!r:.200}"
                )


def _recovered_run(run_id: str, traces: list[Trace]) -> dict[str, Any]:
    starts = [t.info.request_time for t in traces]
    ends = [t.info.request_time + (t.info.execution_duration or 0) for t in traces]
    return {
        "run_id": run_id,
        "experiment_id": traces[0].info.experiment_id,
        "kind": "evaluation",
        "name": RECOVERED_RUN_NAME,
        "status": "FINISHED",
        "start_time": min(starts),
        "end_time": max(ends),
        "params": {},
        "metrics": {},
        "trace_count": len(traces),
        "source_run_ids": [],
        "recovered": True,
    }
