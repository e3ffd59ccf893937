"""Persistence: TinyDB files under the tracking root, written atomically and under a lock."""

from scorelens.store.errors import StoreCorruptError, StoreError, StoreLockTimeout
from scorelens.store.trace_store import TraceStore, group_of

__all__ = ["StoreCorruptError", "StoreError", "StoreLockTimeout", "TraceStore", "group_of"]
