"""Which store and experiment this process records to (MLflow's set_tracking_uri/set_experiment)."""

from __future__ import annotations

import os
from urllib.parse import unquote

from scorelens.store import TraceStore
from scorelens.store.trace_store import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME

TRACKING_URI_ENV = "SCORELENS_TRACKING_URI"
EXPERIMENT_ENV = "SCORELENS_EXPERIMENT"
DEFAULT_TRACKING_DIR = ".scorelens"

_tracking_uri: str | None = None
_experiment_name: str | None = None
_stores: dict[str, TraceStore] = {}


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Point this process at a store folder (a path, or a `file://` URI)."""
    global _tracking_uri
    _tracking_uri = os.fspath(uri)


def store_folder(uri: str | os.PathLike[str]) -> str:
    """The folder a tracking URI names: a path, or a `file://` URI (percent-escapes read).
    A relative path stays relative: each caller knows what it is relative to."""
    raw = os.fspath(uri)
    if raw.startswith("file:"):
        raw = unquote(raw[len("file://") :] if raw.startswith("file://") else raw[len("file:") :])
    return raw


def get_tracking_uri() -> str:
    raw = _tracking_uri or os.environ.get(TRACKING_URI_ENV) or DEFAULT_TRACKING_DIR
    return os.path.abspath(store_folder(raw))


def get_store() -> TraceStore:
    root = get_tracking_uri()
    store = _stores.get(root)
    if store is None:
        store = _stores[root] = TraceStore(root)
    return store


def set_experiment(experiment_name: str) -> str:
    """Make `experiment_name` current (creating it if needed); returns its id."""
    global _experiment_name
    if not experiment_name:
        raise ValueError("experiment name must not be empty")
    _experiment_name = experiment_name
    return get_store().get_or_create_experiment(experiment_name)


def get_experiment_name() -> str:
    return _experiment_name or os.environ.get(EXPERIMENT_ENV) or DEFAULT_EXPERIMENT_NAME


_experiment_ids: dict[tuple[str, str], str] = {}


def current_experiment_id() -> str:
    # Asked for every new trace; ids never change once made, so remember them.
    name = get_experiment_name()
    if name == DEFAULT_EXPERIMENT_NAME:
        # The Default experiment is always id 0, recorded or not: tracing into it needs no
        # read of index.json, so it works (and costs nothing) even when that file is damaged.
        return DEFAULT_EXPERIMENT_ID
    store = get_store()
    key = (store.root, name)
    found = _experiment_ids.get(key)
    if found is None or not os.path.exists(store.index_path):
        found = _experiment_ids[key] = store.get_or_create_experiment(key[1])
    return found
