"""Results of each version of each scorer, kept so reopening a workspace shows them at once.

    results/<scorer hash>.json   rows: one per (trace, feedback name) for that exact version
    results/versions.json        versions: per scorer ("<file>::<name>"), the hashes it has had

A version is identified by the hash of its source (see scorelens.lsp.discovery), so going back
to an earlier version of a scorer finds its results again. Trace ids never change meaning: a
stored trace is immutable.

Rows are TinyDB documents. Each has its `traceId`, `name`, `value`, `rationale` and `error`;
the other fields (`errorKind`, `errorLine`, `durationMs`, `judge`) only when set. In memory a
row is `compact`: without the trace id it is kept under, and without empty fields.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from scorelens.entities.trace import dumps_json
from scorelens.store.atomic_file import write_atomically
from scorelens.store.file_lock import FileLock, store_lock
from scorelens.store.tinydb_files import iter_documents, open_db, read_table

MAX_VERSIONS = 50
Rows = dict[str, list[dict[str, Any]]]  # trace id -> its rows, compact
# Read with [] by every reader of rows, so always there; and the key rows are kept under.
_KEPT = frozenset({"name", "value", "rationale", "error", "traceId"})
_ROWS_PER_PIECE = 1000  # rows serialised at a time: a big file is never one string in memory

Stamp = tuple[int, int, int] | None


def compact(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as kept in memory: no trace id (it is kept under it) and no empty optional field.
    At 100,000 traces rows are most of what the language server holds."""
    name = row.get("name")
    out = {
        "name": sys.intern(name) if type(name) is str else name,  # one name, 100,000 times
        "value": row.get("value"),
        "rationale": row.get("rationale"),
        "error": row.get("error"),
    }
    for key, value in row.items():
        if value is not None and key not in _KEPT and value != []:
            out[key] = value
    return out


class ScorerResultsStore:
    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.folder = os.path.join(self.root, "results")
        self.versions_path = os.path.join(self.folder, "versions.json")
        # Per version, the file as this process last read or wrote it: unchanged since, it
        # holds nothing the caller's rows lack.
        self._stamps: dict[str, Stamp] = {}

    def _lock(self, name: str) -> FileLock:
        return store_lock(self.root, f"results-{name}")

    def _path(self, scorer_hash: str) -> str:
        return os.path.join(self.folder, f"{scorer_hash}.json")

    def load(self, scorer_hash: str) -> Rows:
        """Rows by trace id, compact."""
        path = self._path(scorer_hash)
        stamp = _stamp(path)  # before reading: a file replaced meanwhile reads as changed
        by_trace: Rows = {}
        for row in iter_documents(path, "rows"):
            by_trace.setdefault(sys.intern(row["traceId"]), []).append(compact(row))
        self._stamps[scorer_hash] = stamp
        return by_trace

    def save(self, scorer_hash: str, changed: Rows, known: Rows | None = None) -> None:
        """Add or replace the rows of the `changed` traces for this version.

        `known`, when given, is every row the caller holds for this version: what it loaded
        from this store, with its changes since (`changed` among them). While no other
        process has written the file since, `known` is written as it is, and a file of
        100,000 rows is not read back to change some of them.
        """
        os.makedirs(self.folder, exist_ok=True)
        path = self._path(scorer_hash)
        with self._lock(scorer_hash):
            if known is not None and scorer_hash in self._stamps:
                unchanged = _stamp(path) == self._stamps[scorer_hash]
            else:
                unchanged = False
            if unchanged and known is not None:
                rows = known
            else:
                rows = self.load(scorer_hash)
                rows.update(changed)
            write_atomically(path, _file_pieces(rows))
            self._stamps[scorer_hash] = _stamp(path)

    def versions(self) -> dict[str, list[str]]:
        return {d["key"]: list(d["hashes"]) for d in read_table(self.versions_path, "versions")}

    def record_version(self, key: str, scorer_hash: str) -> list[str]:
        """Note that `key` now has `scorer_hash`; returns its history, newest last."""
        os.makedirs(self.folder, exist_ok=True)
        with self._lock("versions"), open_db(self.versions_path) as db:
            table = db.table("versions")
            for doc in table.all():
                if doc["key"] == key:
                    hashes = [h for h in doc["hashes"] if h != scorer_hash] + [scorer_hash]
                    hashes = hashes[-MAX_VERSIONS:]
                    table.update({"hashes": hashes}, doc_ids=[doc.doc_id])
                    return hashes
            table.insert({"key": key, "hashes": [scorer_hash]})
            return [scorer_hash]

    def clear(self) -> int:
        """Forget every stored result; returns how many scorer versions lost theirs."""
        self._stamps.clear()
        if not os.path.isdir(self.folder):
            return 0
        with self._lock("versions"):
            count = sum(
                1 for n in os.listdir(self.folder) if n.endswith(".json") and n != "versions.json"
            )
            shutil.rmtree(self.folder)
        return count


def _stamp(path: str) -> Stamp:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _file_pieces(rows: Rows) -> Iterator[bytes]:
    """The TinyDB file of these rows, `{"rows": {"1": {...}, ...}}`, a thousand rows a piece."""
    yield b'{"rows":{'
    batch: dict[str, dict[str, Any]] = {}
    doc_id = 0
    for trace_id, trace_rows in rows.items():
        for row in trace_rows:
            doc_id += 1
            batch[str(doc_id)] = {"traceId": trace_id, **row}
            if len(batch) == _ROWS_PER_PIECE:
                yield _members(batch, first=doc_id == _ROWS_PER_PIECE)
                batch = {}
    if batch:
        yield _members(batch, first=doc_id == len(batch))
    yield b"}}"


def _members(batch: dict[str, dict[str, Any]], first: bool) -> bytes:
    text = dumps_json(batch, separators=(",", ":"))[1:-1]  # the object's members, no braces
    return (text if first else "," + text).encode("utf-8")
