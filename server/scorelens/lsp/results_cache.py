"""Every scorer version's result rows: in memory over the store, and what is derived from them.

A version is a scorer's source hash (lsp/discovery.py), so an unchanged scorer never reaches the
worker and an earlier version comes back without running. Whatever is computed from rows
(which traces lack results, a scorer's figures) is memoised on the rows' version number, and
`keep` and `clear` are the only ways rows change: nothing here is invalidated by hand.

Store writes and first reads run in a thread, off the server's event loop; a run's figures
are shown before its write ends, and the next run of the server waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from scorelens.lsp.summaries import Rows
from scorelens.store.scorer_results import ScorerResultsStore

T = TypeVar("T")
_MEMO_LIMIT = 1000


class ResultsCache:
    def __init__(self, store_root: str, log: Callable[[str], None] = print) -> None:
        self.store = ScorerResultsStore(store_root)
        self.log = log
        self._writes: set[asyncio.Future[None]] = set()
        self._rows: dict[str, Rows] = {}
        self._row_versions: dict[str, int] = {}
        self._epoch = 0  # bumped by clear(): every memo made before is stale
        self._versions: dict[str, list[str]] | None = None
        self._memo: dict[tuple[Any, ...], Any] = {}

    # -- rows ----------------------------------------------------------------------------------

    def rows(self, scorer_hash: str) -> Rows:
        rows = self._rows.get(scorer_hash)
        if rows is None:
            rows = self._rows[scorer_hash] = self.store.load(scorer_hash)
        return rows

    async def preload(self, scorer_hashes: Iterable[str]) -> None:
        """Read what the store holds for these versions in a thread, before anyone asks."""
        missing = [h for h in scorer_hashes if h not in self._rows]
        if not missing:
            return
        loaded = await asyncio.to_thread(lambda: {h: self.store.load(h) for h in missing})
        for scorer_hash, rows in loaded.items():
            self._rows.setdefault(scorer_hash, rows)

    def keep(self, scorer_hash: str, by_trace: Rows) -> None:
        """Add or replace these traces' rows of a version: in memory now, and in the store
        soon, in a thread. Figures are shown without waiting for the write; `flush` waits."""
        self.rows(scorer_hash).update(by_trace)
        self._row_versions[scorer_hash] = self._row_versions.get(scorer_hash, 0) + 1
        write = asyncio.ensure_future(asyncio.to_thread(self.store.save, scorer_hash, by_trace))
        self._writes.add(write)
        write.add_done_callback(self._written)

    def _written(self, write: asyncio.Future[None]) -> None:
        self._writes.discard(write)
        if not write.cancelled() and write.exception() is not None:
            self.log(f"storing results failed: {write.exception()}")

    async def flush(self) -> None:
        """Wait for every store write under way (before the next run, at shutdown)."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def version_of(self, scorer_hash: str | None) -> tuple[int, int]:
        """Changes whenever the rows of this version do: a key to memoise on."""
        return (self._epoch, self._row_versions.get(scorer_hash or "", 0))

    def memo(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()`, remembered under `key`, which must include the `version_of` its rows."""
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        if len(self._memo) > _MEMO_LIMIT:
            self._memo.clear()
        value = self._memo[key] = compute()
        return value

    def lacking(self, scorer_hash: str, trace_ids: list[str], trace_generation: int) -> list[str]:
        """Trace ids of the active set this version has no results for."""
        rows = self.rows(scorer_hash)
        return self.memo(
            ("lacking", scorer_hash, self.version_of(scorer_hash), trace_generation),
            lambda: [t for t in trace_ids if t not in rows],
        )

    # -- version history -----------------------------------------------------------------------

    def history(self, key: str) -> list[str]:
        """The hashes scorer `key` ("<file>::<name>") has had, newest last."""
        if self._versions is None:
            self._versions = self.store.versions()
        return self._versions.get(key, [])

    def previous(self, key: str, current_hash: str) -> str | None:
        older = [h for h in self.history(key) if h != current_hash]
        return older[-1] if older else None

    async def record(self, key: str, scorer_hash: str) -> None:
        """Note that `key`'s newest version is `scorer_hash`, once it has results."""
        if not self.rows(scorer_hash) or self.history(key)[-1:] == [scorer_hash]:
            return
        hashes = await asyncio.to_thread(self.store.record_version, key, scorer_hash)
        assert self._versions is not None  # history() above read them
        self._versions[key] = hashes

    # -- forgetting ----------------------------------------------------------------------------

    def clear(self) -> int:
        """Forget every result, stored and derived; returns how many versions lost theirs."""
        self._rows.clear()
        self._row_versions.clear()
        self._memo.clear()
        self._versions = None
        self._epoch += 1
        return self.store.clear()
