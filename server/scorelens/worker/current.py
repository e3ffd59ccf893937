"""Which scorer and trace the worker is on, readable after the worker died.

The worker writes it into a small memory-mapped file before each trace (a copy of a few bytes,
cheap enough for every trace); the server reads it when the worker crashed or hung, to say
which trace did it. A message per trace over the pipe would cost far more.
"""

from __future__ import annotations

import mmap
import os

SIZE = 1024


def create(path: str) -> None:
    with open(path, "wb") as handle:
        handle.write(b"\0" * SIZE)


def clear(path: str) -> None:
    """Forget the last note, in place: a worker still finishing a cancelled request may have
    the file mapped, and truncating a mapped file would crash it (SIGBUS) on its next write."""
    try:
        with open(path, "r+b") as handle:
            handle.write(b"\0" * SIZE)
    except FileNotFoundError:
        create(path)  # removed under us (a temp-folder cleaner); a new one serves from now on


class CurrentWork:
    """The worker's side: note the scorer and trace about to run."""

    def __init__(self, path: str | None) -> None:
        self._map: mmap.mmap | None = None
        if path is not None and os.path.exists(path):
            with open(path, "r+b") as handle:
                self._map = mmap.mmap(handle.fileno(), SIZE)

    def set(self, scorer: str | None, trace_id: str | None) -> None:
        if self._map is None:
            return
        text = f"{scorer or ''}\t{trace_id or ''}".encode()[: SIZE - 1]
        self._map[: len(text) + 1] = text + b"\0"


def read(path: str) -> tuple[str | None, str | None]:
    """(scorer, trace id) last noted; None for what is not known."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(SIZE)
    except OSError:
        return None, None
    scorer, _, trace_id = raw.split(b"\0", 1)[0].decode(errors="replace").partition("\t")
    return scorer or None, trace_id or None
