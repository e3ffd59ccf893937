"""Saying, once, that traces are being lost: tracing must never break the app it records.

A broken store (an unreadable index, a file where the traces folder should be) costs the traces,
never the app's result. The user hears about it in one line per cause - not one per trace - and
again only if it breaks anew after working.
"""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger("scorelens.tracing")

_failing: set[str] = set()
_guard = threading.Lock()


def recording_failed(key: str, problem: str) -> None:
    """Report `problem` unless `key` (what failed: a store, the destination) is already failing."""
    with _guard:
        if key in _failing:
            return
        _failing.add(key)
    # With no logging configured this is one plain line on stderr (logging's last resort).
    logger.warning(
        "scorelens: traces are not being recorded, the app runs on without them: %s", problem
    )


def recording_works(key: str) -> None:
    if key in _failing:
        with _guard:
            _failing.discard(key)
