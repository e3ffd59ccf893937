"""Persistence: TinyDB files under the tracking root, written atomically and under a lock."""

from scorelens.store.errors import (
    StoreCorruptError,
    StoreError,
    StoreIndexMissingError,
    StoreLockTimeout,
)
from scorelens.store.trace_store import TraceStore, group_of

__all__ = [
    "StoreCorruptError",
    "StoreError",
    "StoreIndexMissingError",
    "StoreLockTimeout",
    "TraceStore",
    "group_of",
]
