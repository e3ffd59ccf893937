"""The trace store: the only state ScoreLens processes share.

Layout under the tracking root (default `./.scorelens`)::

    index.json                      experiments and runs (small; every change rewrites it)
    traces/<group>/<segment>.json   traces, written once per batch and never rewritten
    summaries/<group>/<segment>.json  each trace's id, state, time and previews (trace_summaries.py)
    assessments/<group>.json        Feedback and Expectations per trace, each with an id; re-scoring
                                    keeps the newest per (trace, name, source)
    locks/                          lock files serialising writers of index and assessments

A *group* is a run id, or `exp-<experiment id>` for traces recorded outside any run. All files are
TinyDB JSON documents replaced atomically (temp file, fsync, rename), so readers need no lock and
a crash leaves the previous file intact. Re-scoring writes only `assessments/` and `index.json`.

A run records its writer (host, process id and start). A RUNNING run whose writer has died on
this host reads as KILLED, MLflow's word, and is never chosen by default; the next run created
stores that status and removes the temp files the dead writer left in the run's folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from scorelens.entities import (
    Assessment,
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Feedback,
    Trace,
)
from scorelens.heap import gc_disabled
from scorelens.store import trace_summaries
from scorelens.store.atomic_file import write_atomically
from scorelens.store.errors import StoreCorruptError, StoreError, StoreIndexMissingError
from scorelens.store.file_lock import FileLock, store_lock
from scorelens.store.tinydb_files import open_db, read_documents, read_table
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


# The `"trace_id": "<id>"` key of a trace document (its info's and each span's).
_TRACE_ID_KEY = re.compile(rb'"trace_id":\s*"([^"\\]+)"')
# The start of a document of an assessments file, as TinyDB writes it: its id, then the object,
# whose first key the store always writes first.
_ASSESSMENTS_DOC = re.compile(r'"\d+":\s*(\{"trace_id":\s*"([^"\\]+)")')


def group_of(trace: Trace) -> str:
    return trace.info.run_id or f"exp-{trace.info.experiment_id}"


class TraceStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(root)
        self.index_path = os.path.join(self.root, "index.json")
        self.traces_dir = os.path.join(self.root, "traces")
        self.assessments_dir = os.path.join(self.root, "assessments")
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
        return store_lock(self.root, name)

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

    # -- logged models (set_active_model) ----------------------------------------------------

    def get_logged_model(self, model_id: str) -> dict[str, Any] | None:
        return next((m for m in self._index_table("models") if m.get("model_id") == model_id), None)

    def get_or_create_logged_model(self, experiment_id: str, name: str) -> dict[str, Any]:
        """The newest model of that name (MLflow's `set_active_model(name=)`), created if none."""

        def newest(models: list[dict[str, Any]]) -> dict[str, Any] | None:
            named = [m for m in models if m.get("name") == name]
            return max(named, key=lambda m: m.get("creation_timestamp", 0)) if named else None

        found = newest(self._index_table("models"))
        if found is not None:
            return found
        with self._lock("index"), open_db(self._ensure_root()) as db:
            table = db.table("models")
            found = newest([dict(m) for m in table.all()])
            if found is not None:
                return found
            model = {
                "model_id": "m-" + uuid.uuid4().hex,
                "name": name,
                "experiment_id": experiment_id,
                "creation_timestamp": _now_ms(),
            }
            table.insert(model)
            return model

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
        logged: dict[str, dict[str, list[Assessment]]] = {}
        for trace in traces:
            doc = trace.to_dict()
            group = group_of(trace)
            # Trace files are never rewritten; assessments live in assessments/, which is.
            if doc["info"].pop("assessments", None):
                logged.setdefault(group, {})[trace.trace_id] = list(trace.info.assessments)
            by_group.setdefault(group, []).append(doc)
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
            trace_summaries.write(self.root, group, segment, docs)
        for group, assessments in logged.items():
            self.save_assessments(group, assessments, replace=False)
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

    def segment_names(self, group: str) -> list[str]:
        """The group's segment files, oldest first (their names start with the time written)."""
        try:
            return sorted(n for n in os.listdir(self._group_dir(group)) if n.endswith(".json"))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def segments(self, group: str) -> list[str]:
        """The same as `segment_names`: the language server's name for them."""
        return self.segment_names(group)

    def read_segment(self, group: str, segment: str) -> list[dict[str, Any]]:
        """The trace documents of one segment as stored (Trace.to_dict's form), in order."""
        path = os.path.join(self._group_dir(group), segment)
        with gc_disabled():
            docs = read_documents(path, "traces")
        for doc in docs:
            info = doc.get("info")
            if not isinstance(info, dict) or not isinstance(info.get("trace_id"), str):
                raise StoreCorruptError(path, "not a trace document: no info.trace_id")
        return docs

    def summaries(self, group: str, segment: str) -> list[list[Any]]:
        """The segment's summary records (see trace_summaries), made from the segment and kept
        when it has none yet."""
        found = trace_summaries.read(self.root, group, segment)
        if found is not None:
            return found
        docs = self.read_segment(group, segment)
        try:
            records = [trace_summaries.summarize(doc) for doc in docs]
        except (KeyError, TypeError, ValueError) as exc:
            path = os.path.join(self._group_dir(group), segment)
            raise StoreCorruptError(path, f"not a trace document: {_describe(exc)}") from None
        with contextlib.suppress(OSError):  # a read-only store is still read, just not kept
            trace_summaries.write_records(self.root, group, segment, records)
        return records

    def segment_size(self, group: str, segment: str) -> int:
        """The segment file's size in bytes: about what reading it costs."""
        return os.path.getsize(os.path.join(self._group_dir(group), segment))

    def load_traces(
        self,
        group: str,
        with_assessments: bool = True,
        segments: Sequence[str] | None = None,
    ) -> list[Trace]:
        """The group's traces (or those of only these `segments`), each with its assessments in
        `trace.info.assessments`."""
        folder = self._group_dir(group)
        traces: list[Trace] = []
        with gc_disabled():
            for segment in self.segment_names(group) if segments is None else segments:
                path = os.path.join(folder, segment)
                docs = read_table(path, "traces")
                try:
                    traces.extend([Trace.from_dict(doc) for doc in docs])
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    raise StoreCorruptError(
                        path, f"not a trace document: {_describe(exc)}"
                    ) from None
            if with_assessments and traces:
                wanted = None if segments is None else {t.trace_id for t in traces}
                attach_assessments(traces, self.load_assessments(group, wanted))
        return traces

    def trace_times(self, group: str) -> dict[str, int]:
        """The group's trace ids, each with its request time (ms).

        Read from the raw documents, never built into Traces: a sync asking "which of these do
        I have?" of 10,000 stored traces should not pay for parsing their spans.
        """
        folder = self._group_dir(group)
        try:
            segments = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
        except FileNotFoundError:
            return {}
        times: dict[str, int] = {}
        for segment in segments:
            path = os.path.join(folder, segment)
            try:
                for doc in read_table(path, "traces"):
                    info = doc["info"]
                    times[info["trace_id"]] = int(info.get("request_time", 0))
            except (KeyError, TypeError, ValueError) as exc:
                raise StoreCorruptError(path, f"not a trace document: {_describe(exc)}") from None
        return times

    def find_trace(self, trace_id: str) -> Trace | None:
        """The stored trace with this id, with its assessments; None when there is none."""
        found = self._find_segment(trace_id)
        if found is None:
            return None
        group, path = found
        docs = read_table(path, "traces")
        for doc in docs:
            info = doc.get("info") if isinstance(doc, dict) else None
            if isinstance(info, dict) and info.get("trace_id") == trace_id:
                try:
                    trace = Trace.from_dict(doc)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    raise StoreCorruptError(
                        path, f"not a trace document: {_describe(exc)}"
                    ) from None
                attach_assessments([trace], self.load_assessments(group, trace_ids={trace_id}))
                return trace
        return None

    def group_of_trace(self, trace_id: str) -> str | None:
        """The group holding the trace, found without parsing any file that lacks its id."""
        found = self._find_segment(trace_id)
        return None if found is None else found[0]

    def locate_traces(self, trace_ids: Iterable[str]) -> dict[str, str]:
        """The group of each of these traces that is stored; absent ones are left out.

        One pass over the segment files, however many ids are asked for: `group_of_trace`
        per id would read every file once per id.
        """
        return {t: group for t, (group, _) in self.locate_segments(trace_ids).items()}

    def locate_segments(
        self, trace_ids: Iterable[str], groups: Iterable[str] | None = None
    ) -> dict[str, tuple[str, str]]:
        """The (group, segment) holding each of these traces, searching only `groups` when
        given; absent traces are left out. Files are searched as bytes, never parsed."""
        wanted = set(trace_ids)
        found: dict[str, tuple[str, str]] = {}
        for group in self.groups() if groups is None else groups:
            if len(found) == len(wanted):
                break
            folder = self._group_dir(group)
            try:
                names = [n for n in os.listdir(folder) if n.endswith(".json")]
            except OSError:
                continue
            for name in names:
                try:
                    with open(os.path.join(folder, name), "rb") as handle:
                        data = handle.read()
                except OSError:
                    continue
                # Only unescaped keys match: a trace id quoted inside a span's inputs is not one.
                for match in _TRACE_ID_KEY.finditer(data):
                    trace_id = match.group(1).decode("ascii", "replace")
                    if trace_id in wanted:
                        found.setdefault(trace_id, (group, name))
        return found

    def _find_segment(self, trace_id: str) -> tuple[str, str] | None:
        # Trace ids are ASCII and written verbatim, so a byte search rules a file in or out;
        # newest files first, as the trace asked for is most often a recent one.
        needle = json.dumps(trace_id).encode()
        for group in self.groups():
            folder = self._group_dir(group)
            try:
                names = sorted((n for n in os.listdir(folder) if n.endswith(".json")), reverse=True)
            except OSError:
                continue
            for name in names:
                path = os.path.join(folder, name)
                try:
                    with open(path, "rb") as handle:
                        if needle in handle.read():
                            return group, path
                except OSError:
                    continue
        return None

    def _group_dir(self, group: str) -> str:
        return os.path.join(self.traces_dir, group)

    # -- assessments -------------------------------------------------------------------------

    def _assessments_path(self, group: str) -> str:
        return os.path.join(self.assessments_dir, group + ".json")

    def assessments_stamp(self, group: str) -> tuple[int, int, int] | None:
        """Changes whenever the group's assessments file is replaced; None while it is absent."""
        try:
            stat = os.stat(self._assessments_path(group))
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def load_assessments(
        self,
        group: str,
        trace_ids: Collection[str] | None = None,
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, list[Assessment]]:
        """Assessments (Feedback and Expectation) by trace id, oldest first.

        Only of `trace_ids` when given, parsing only their part of the file (a Ray task scoring
        one segment of a large group); and only the stored records (Assessment.to_record's
        form) that `keep` accepts, when given: a reader after a few of them (people's labels)
        then builds no Assessment for the 100,000 results of a re-score, and traces left with
        none are left out.
        """
        path = self._assessments_path(group)
        try:
            with gc_disabled():
                docs = None if trace_ids is None else _docs_of_traces(path, trace_ids)
                if docs is None:
                    docs = read_documents(path, "assessments")
                if keep is None:
                    return {
                        d["trace_id"]: _assessments_of(d)
                        for d in docs
                        if trace_ids is None or d["trace_id"] in trace_ids
                    }
                found: dict[str, list[Assessment]] = {}
                for doc in docs:
                    if trace_ids is not None and doc["trace_id"] not in trace_ids:
                        continue
                    records = [r for r in _records_of(doc) if keep(r)]
                    if records:
                        found[doc["trace_id"]] = [Assessment.from_record(r) for r in records]
                return found
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StoreCorruptError(
                path, f"not an assessments document: {_describe(exc)}"
            ) from None

    def save_assessments(
        self,
        group: str,
        assessments: Mapping[str, Sequence[Assessment]],
        replace: bool = True,
    ) -> None:
        """Add assessments to the group's file, giving each an id (and its trace id).

        With `replace` (what re-scoring wants), a new assessment takes the place of the trace's
        earlier ones of the same name and source, so re-scoring keeps one result per scorer while
        a human's feedback of the same name stays. Without it every assessment is kept, as
        MLflow's `log_feedback` does.
        """
        os.makedirs(self.assessments_dir, exist_ok=True)
        path = self._assessments_path(group)
        with self._lock("assessments-" + group), open_db(path) as db:
            table = db.table("assessments")
            try:
                merged: dict[str, list[dict[str, Any]]] = {
                    d["trace_id"]: list(_records_of(d)) for d in table.all()
                }
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise StoreCorruptError(
                    path, f"not an assessments document: {_describe(exc)}"
                ) from None
            for trace_id, items in assessments.items():
                if not items:
                    continue
                records = merged.setdefault(trace_id, [])
                for item in items:
                    if item.trace_id is None:
                        item.trace_id = trace_id
                    if item.assessment_id is None:
                        item.assessment_id = new_assessment_id()
                    record = item.to_record()
                    if replace:
                        key = _same_kind(record)
                        records[:] = [r for r in records if _same_kind(r) != key]
                    records.append(record)
            table.truncate()
            table.insert_multiple(
                {"trace_id": t, "assessments": records} for t, records in merged.items()
            )

    def delete_assessment(self, group: str, trace_id: str, assessment_id: str) -> None:
        if not self._remove_records(
            group, trace_id, lambda r: r.get("assessment_id") == assessment_id
        ):
            path = self._assessments_path(group)
            raise KeyError(f"no assessment {assessment_id} of trace {trace_id} in {path}")

    def remove_feedback(
        self, group: str, trace_id: str, name: str, source: AssessmentSource
    ) -> int:
        """Remove the trace's Feedback of this name from this source (type and id), on any
        span; returns how many were removed."""
        wanted = (name, source.source_type, source.source_id)
        return self._remove_records(
            group, trace_id, lambda r: "feedback" in r and _name_and_source(r) == wanted
        )

    def _remove_records(
        self, group: str, trace_id: str, test: Callable[[dict[str, Any]], bool]
    ) -> int:
        """Remove the trace's assessment records that pass `test`; how many there were."""
        path = self._assessments_path(group)
        if not os.path.exists(path):
            return 0
        with self._lock("assessments-" + group), open_db(path) as db:
            table = db.table("assessments")
            for doc in table.all():
                if doc["trace_id"] != trace_id:
                    continue
                records = list(_records_of(doc))
                kept = [r for r in records if not test(r)]
                if len(kept) != len(records):
                    table.update({"assessments": kept, "feedback": None}, doc_ids=[doc.doc_id])
                return len(records) - len(kept)
        return 0

    def update_assessment(self, group: str, assessment: Assessment) -> None:
        """Replace the stored assessment that has the same id (MLflow's update/override)."""
        path = self._assessments_path(group)
        with self._lock("assessments-" + group), open_db(path) as db:
            table = db.table("assessments")
            for doc in table.all():
                records = list(_records_of(doc))
                for index, record in enumerate(records):
                    if record.get("assessment_id") == assessment.assessment_id:
                        records[index] = assessment.to_record()
                        table.update(
                            {"assessments": records, "feedback": None}, doc_ids=[doc.doc_id]
                        )
                        return
        raise KeyError(f"no assessment {assessment.assessment_id} in {path}")

    def _ensure_root(self, check: bool = True) -> str:
        """The index's path, ready to be written."""
        if check and not os.path.exists(self.index_path):
            self._check_index_present()
        os.makedirs(self.root, exist_ok=True)
        return self.index_path


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_assessment_id() -> str:
    """MLflow's form: "a-" and 32 hex digits."""
    return "a-" + uuid.uuid4().hex


def attach_assessments(traces: Iterable[Trace], by_trace: Mapping[str, list[Assessment]]) -> None:
    """Put each trace's stored assessments in `trace.info.assessments`, replacing what was there."""
    for trace in traces:
        found = by_trace.get(trace.info.trace_id)
        trace.info.assessments = list(found) if found else []


def kind_of(assessment: Assessment) -> tuple[Any, ...]:
    """What `save_assessments(replace=True)` replaces by: `_same_kind` of its record."""
    return (
        assessment.name,
        assessment.feedback is not None,
        assessment.source.source_type,
        assessment.source.source_id,
        assessment.span_id,
    )


def _same_kind(record: dict[str, Any]) -> tuple[Any, ...]:
    source = record.get("source") or {}
    return (
        record.get("name"),
        "feedback" in record,
        source.get("source_type"),
        source.get("source_id"),
        record.get("span_id"),
    )


def _name_and_source(record: dict[str, Any]) -> tuple[Any, ...]:
    source = record.get("source") or {}
    return (record.get("name"), source.get("source_type"), source.get("source_id"))


def _records_of(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The assessment records of one trace's document, in either of the file's two forms."""
    records = doc.get("assessments")
    if records is not None:
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise TypeError("'assessments' is not a list of objects")
        return records
    legacy = doc["feedback"]
    if not isinstance(legacy, dict):
        raise TypeError("'feedback' is not an object")
    return [_legacy_record(doc["trace_id"], item) for item in legacy.values()]


def _assessments_of(doc: Mapping[str, Any]) -> list[Assessment]:
    from_record = Assessment.from_record
    return [from_record(r) for r in _records_of(doc)]


def _legacy_record(trace_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """A Feedback as stores before MLflow-shaped assessments kept it (newest per name)."""
    name = item.get("name") or ""
    message = item.get("error")
    error: AssessmentError | None = None
    if message is not None:
        kind = (item.get("source") or {}).get("error_kind")
        code, _, rest = str(message).partition(": ")
        if kind == "exception" and rest and code.isidentifier():
            # Recorded from an exception as "Type: message": MLflow keeps the type as the code.
            error = AssessmentError(code, rest, item.get("stack_trace"))
        else:
            error = AssessmentError("ASSESSMENT_ERROR", str(message), item.get("stack_trace"))
    feedback = Feedback(
        name=name,
        value=item.get("value"),
        error=error,
        rationale=item.get("rationale"),
        metadata=item.get("metadata"),
        source=AssessmentSource(AssessmentSourceType.CODE),
        trace_id=trace_id,
        create_time_ms=0,
        last_update_time_ms=0,
    )
    # A stable id, so the same legacy assessment is named alike on every read.
    feedback.assessment_id = "a-" + hashlib.sha1(f"{trace_id}/{name}".encode()).hexdigest()[:32]
    return feedback.to_record()


def _not_a_folder(path: str) -> str:
    # Whichever part of the path is the file, naming the deepest one the store needs is enough.
    return f"{path} should be a folder of the store, but it (or a folder above it) is a file"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"no field {exc}"
    return f"{type(exc).__name__}: {exc}"


def _docs_of_traces(path: str, trace_ids: Collection[str]) -> list[dict[str, Any]] | None:
    """The assessments documents of these traces, decoding only theirs; None when the file is
    not as the store writes it (then it must be read whole).

    A task scoring one segment of a large group needs a few thousand of its traces' documents:
    parsing the whole file for them cost more than scoring did.
    """
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith('{"assessments":{'):
        return None
    wanted = trace_ids if isinstance(trace_ids, (set, frozenset, dict)) else set(trace_ids)
    if any('"' in t or "\\" in t for t in wanted):
        return None  # written escaped: the pattern would not see it
    decoder = json.JSONDecoder()
    found: dict[str, dict[str, Any]] = {}
    for match in _ASSESSMENTS_DOC.finditer(text):
        trace_id = match.group(2)
        if trace_id not in wanted:
            continue
        try:
            doc, _ = decoder.raw_decode(text, match.start(1))
        except ValueError:
            return None
        # A value inside a record may look like a document's start; a document has records.
        if (
            isinstance(doc, dict)
            and doc.get("trace_id") == trace_id
            and ("assessments" in doc or "feedback" in doc)
        ):
            found[trace_id] = doc
    return list(found.values())


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
