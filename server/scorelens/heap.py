"""Garbage collection at quiet moments, for the long-lived processes (language server, worker).

Both hold large, long-lived heaps: every trace, the results of every scorer, the judge calls'
memo. A full collection walks all of it (about 80 ms at 1,000 traces), and left to itself
Python starts one in the middle of a run every few saves, so a save now and then took twice as
long. Collecting during a pause and freezing what survives keeps runs clear of that: frozen
objects are skipped by the collections a run triggers.
"""

from __future__ import annotations

import gc

# A pause this long after a run, with nothing else to do, is taken as a quiet moment.
QUIET_AFTER_S = 0.5


def collect_and_freeze() -> None:
    """A full collection now, then the survivors frozen.

    Unfreezing first lets this collection free what became garbage since the last one (a scorer
    module replaced by its newer version), which would otherwise stay frozen for good.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
