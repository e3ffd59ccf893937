"""Errors the store raises; each names the file involved so the user can act on it."""

from __future__ import annotations


class StoreError(Exception):
    """Base for store failures."""


class StoreCorruptError(StoreError):
    """A store file exists but cannot be read. It is never replaced or emptied automatically."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            f"store file {path} is unreadable ({reason}); it was left untouched - restore it "
            "from a backup or move it aside"
        )
        self.path = path


class StoreLockTimeout(StoreError):
    def __init__(self, path: str, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:.0f} s waiting for the store lock {path}")
        self.path = path


class StoreIndexMissingError(StoreCorruptError):
    """index.json is gone while trace files of its runs remain; `rebuild_index` recovers them."""

    def __init__(self, path: str, traces_dir: str) -> None:
        StoreError.__init__(
            self,
            f"{path} is missing, but the trace files of its runs remain under {traces_dir}; "
            "run `scorelens doctor --rebuild` to recreate the index from them",
        )
        self.path = path
