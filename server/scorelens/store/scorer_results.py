"""Results of each version of each scorer, kept so reopening a workspace shows them at once.

    results/<scorer hash>.json   rows: one per (trace, feedback name) for that exact version
    results/versions.json        versions: per scorer ("<file>::<name>"), the hashes it has had

A version is identified by the hash of its source (see scorelens.lsp.discovery), so going back
to an earlier version of a scorer finds its results again. Trace ids never change meaning: a
stored trace is immutable.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from scorelens.store.file_lock import FileLock, store_lock
from scorelens.store.tinydb_files import open_db, read_table

MAX_VERSIONS = 50


class ScorerResultsStore:
    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.folder = os.path.join(self.root, "results")
        self.versions_path = os.path.join(self.folder, "versions.json")

    def _lock(self, name: str) -> FileLock:
        return store_lock(self.root, f"results-{name}")

    def _path(self, scorer_hash: str) -> str:
        return os.path.join(self.folder, f"{scorer_hash}.json")

    def load(self, scorer_hash: str) -> dict[str, list[dict[str, Any]]]:
        """Rows by trace id."""
        by_trace: dict[str, list[dict[str, Any]]] = {}
        for row in read_table(self._path(scorer_hash), "rows"):
            by_trace.setdefault(row["traceId"], []).append(dict(row))
        return by_trace

    def save(self, scorer_hash: str, rows_by_trace: dict[str, list[dict[str, Any]]]) -> None:
        """Add or replace the rows of the given traces for this version."""
        os.makedirs(self.folder, exist_ok=True)
        with self._lock(scorer_hash), open_db(self._path(scorer_hash)) as db:
            table = db.table("rows")
            kept = [r for r in table.all() if r["traceId"] not in rows_by_trace]
            table.truncate()
            table.insert_multiple([*kept, *(r for rows in rows_by_trace.values() for r in rows)])

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
        if not os.path.isdir(self.folder):
            return 0
        with self._lock("versions"):
            count = sum(
                1 for n in os.listdir(self.folder) if n.endswith(".json") and n != "versions.json"
            )
            shutil.rmtree(self.folder)
        return count
