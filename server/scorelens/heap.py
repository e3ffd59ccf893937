"""Garbage collection at quiet moments, for the long-lived processes (language server, worker).

Both hold large, long-lived heaps: every trace, the results of every scorer, the judge calls'
memo. A full collection walks all of it (about 80 ms at 1,000 traces, 180 ms at 10,000), and
left to itself Python starts one in the middle of a run every few saves, so a save now and then
took twice as long. Collecting during a pause and freezing what survives keeps runs clear of
that: frozen objects are skipped by the collections a run triggers.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

# A pause this long after a run, with nothing else to do, is taken as a quiet moment.
QUIET_AFTER_S = 0.5
# How often, at most, a quiet moment also looks through what was frozen.
FULL_EVERY_S = 60.0

_last_full = time.monotonic()


def collect_and_freeze() -> None:
    """Collect what is not frozen (what the last runs made: quick), then freeze the survivors.

    Now and then (`FULL_EVERY_S`) it unfreezes first, so the collection also frees what became
    garbage after it was frozen: a scorer module replaced by its newer version, traces of a
    trace set left behind. Not every time: that walks the whole heap, and a save arriving
    meanwhile would wait for it.
    """
    global _last_full
    now = time.monotonic()
    if now - _last_full >= FULL_EVERY_S:
        gc.unfreeze()
        _last_full = now
    gc.collect()
    gc.freeze()


@contextmanager
def collection_paused() -> Iterator[None]:
    """Cyclic garbage collection skips the objects that exist when this starts.

    Re-scoring allocates a few objects per trace, and with thousands of traces loaded each
    full collection would walk them all, again and again: that cost more than the scoring did.
    Frozen (gc.freeze), they are left alone while what scorers make is still collected. Only
    when nothing else froze objects, as unfreezing thaws those too.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def gc_disabled() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: for code that builds many objects, none of them
    in a cycle, which every collection it triggers would walk along with the rest of the heap.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
