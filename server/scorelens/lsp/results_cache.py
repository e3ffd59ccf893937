"""Every scorer version's result rows: in memory over the store, and what is derived from them.

A version is a scorer's source hash (lsp/discovery.py), so an unchanged scorer never reaches the
worker and an earlier version comes back without running. Whatever is computed from rows
(which traces lack results, a scorer's figures) is memoised on the rows' version number, which
`publish` moves on after `keep`, and `clear`: nothing here is invalidated by hand.

Store writes and first reads run in a thread, off the server's event loop. A run's rows are
written once it has ended (and every few seconds of a long one), after its figures are shown:
at 100,000 traces a version's file is tens of megabytes, written whole. Writes of one version
go one after another; shutdown and Clear Results wait for them. Only the versions the
workspace's scorers show (each one's current and previous) stay in memory; others are read
again from the store when asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from scorelens.lsp.summaries import Rows
from scorelens.store.scorer_results import ScorerResultsStore

T = TypeVar("T")
_MEMO_LIMIT = 1000
_LACKING_KEPT = 1000
# Rows kept are written this long after the first of them, however long the run goes on.
WRITE_EVERY_S = 5.0
# A run that has ended has its rows written this soon: after its figures and lenses went out.
WRITE_AFTER_RUN_S = 0.3


class ResultsCache:
    def __init__(self, store_root: str, log: Callable[[str], None] = print) -> None:
        self.store = ScorerResultsStore(store_root)
        self.log = log
        self._writes: set[asyncio.Future[None]] = set()
        self._last_write: dict[str, asyncio.Future[None]] = {}  # per version, the newest
        self._unsaved: dict[str, Rows] = {}  # per version, rows kept since its last write
        self._write_timer: asyncio.TimerHandle | None = None
        self._rows: dict[str, Rows] = {}
        self._row_versions: dict[str, int] = {}
        self._unpublished: set[str] = set()  # versions with rows kept since `publish`
        self._reading: dict[str, asyncio.Future[Rows]] = {}  # versions being read
        self._epoch = 0  # bumped by clear(): every memo made before is stale
        self._versions: dict[str, list[str]] | None = None
        self._memo: dict[tuple[Any, ...], Any] = {}

    # -- rows ----------------------------------------------------------------------------------

    def rows(self, scorer_hash: str) -> Rows:
        rows = self._rows.get(scorer_hash)
        if rows is None:
            rows = self._rows[scorer_hash] = self.store.load(scorer_hash)
        return rows

    def loaded(self, scorer_hash: str) -> bool:
        """Whether this version's rows are in memory (`rows` would not read the store)."""
        return scorer_hash in self._rows

    async def preload(self, scorer_hashes: Iterable[str]) -> None:
        """Read what the store holds for these versions in a thread, one after another,
        before anyone asks. A version another caller is reading is waited for, not read
        twice: at 100,000 traces a read takes half a second and tens of megabytes."""
        for scorer_hash in dict.fromkeys(scorer_hashes):
            if scorer_hash in self._rows:
                continue
            reading = self._reading.get(scorer_hash)
            if reading is None:
                reading = asyncio.ensure_future(asyncio.to_thread(self.store.load, scorer_hash))
                self._reading[scorer_hash] = reading
            try:
                rows = await asyncio.shield(reading)
            finally:
                if reading.done():
                    self._reading.pop(scorer_hash, None)
            self._rows.setdefault(scorer_hash, rows)

    def keep(self, scorer_hash: str, by_trace: Rows) -> None:
        """Add or replace these traces' rows (compact, see store/scorer_results.py) of a
        version: in memory now, in the store later, in a thread. `flush` writes them now."""
        self.rows(scorer_hash).update(by_trace)
        self._unpublished.add(scorer_hash)
        self._unsaved.setdefault(scorer_hash, {}).update(by_trace)
        if self._write_timer is None:
            self.write_soon(WRITE_EVERY_S)

    def publish(self) -> None:
        """Count the rows kept since the last call: what is memoised on `version_of` their
        version is made again. A run publishes when it shows figures (so far, and at its end),
        so a lens asked between two batches of rows reuses the figures last shown instead of
        walking 100,000 rows again."""
        for scorer_hash in self._unpublished:
            self._row_versions[scorer_hash] = self._row_versions.get(scorer_hash, 0) + 1
        self._unpublished.clear()

    def write_soon(self, delay: float = WRITE_AFTER_RUN_S) -> None:
        """Write what was kept and not yet written in `delay` seconds (or sooner)."""
        if not self._unsaved:
            return
        loop = asyncio.get_running_loop()
        if self._write_timer is not None:
            if self._write_timer.when() <= loop.time() + delay:
                return
            self._write_timer.cancel()
        self._write_timer = loop.call_later(delay, self._start_writes)

    def _start_writes(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        for scorer_hash, changed in self._unsaved.items():
            # A copy taken now: rows kept while the thread writes must not change what it reads.
            held = self._rows.get(scorer_hash)
            known = dict(held) if held is not None else None
            write = asyncio.ensure_future(
                self._write(scorer_hash, changed, known, self._last_write.get(scorer_hash))
            )
            self._last_write[scorer_hash] = write
            self._writes.add(write)
            write.add_done_callback(self._written)
        self._unsaved = {}

    async def _write(
        self,
        scorer_hash: str,
        changed: Rows,
        known: Rows | None,
        after: asyncio.Future[None] | None,
    ) -> None:
        if after is not None:
            await asyncio.wait({after})  # the version's earlier rows land first
        await asyncio.to_thread(self.store.save, scorer_hash, changed, known)

    def _written(self, write: asyncio.Future[None]) -> None:
        self._writes.discard(write)
        if not write.cancelled() and write.exception() is not None:
            self.log(f"storing results failed: {write.exception()}")

    async def flush(self) -> None:
        """Write what was kept now, and wait for every store write (at shutdown, before a
        clear)."""
        self._start_writes()
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def retain(self, scorer_hashes: Iterable[str]) -> None:
        """Keep in memory only these versions' rows (and those not yet written); the others
        are read again from the store if asked for."""
        writing = {h for h, write in self._last_write.items() if not write.done()}
        wanted = set(scorer_hashes) | set(self._unsaved) | writing
        for scorer_hash in [h for h in self._rows if h not in wanted]:
            del self._rows[scorer_hash]

    def version_of(self, scorer_hash: str | None) -> tuple[int, int]:
        """Changes whenever the rows of this version are published: a key to memoise on."""
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
        key = ("lacking", scorer_hash, self.version_of(scorer_hash), trace_generation)
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        found = [t for t in trace_ids if t not in rows]
        # Remembered when short, as after a run (an unchanged save asks again): a long list
        # goes to the worker at once, and kept it would hold 100,000 ids per version.
        return self.memo(key, lambda: found) if len(found) <= _LACKING_KEPT else found

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
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        self._unsaved.clear()
        self._unpublished.clear()
        self._rows.clear()
        self._row_versions.clear()
        self._memo.clear()
        self._versions = None
        self._epoch += 1
        return self.store.clear()
