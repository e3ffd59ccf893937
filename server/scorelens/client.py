"""MLflow's `MlflowClient`, for the trace calls ScoreLens has: `search_traces` and `get_trace`.

The client is bound to one store when made, as MLflow's is: `MlflowClient(tracking_uri=...)`
reads that store while the process keeps recording to its own, and a later `set_tracking_uri`
does not move an existing client.

`search_traces` pages by offset into the ordered result. A page token is base64 JSON of that
offset and a fingerprint of the query (store, locations, run, model, filter, order); a token
given to a different query is refused rather than silently skipping into unrelated results.
As in MLflow, traces written between two page requests can shift what a later page holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from typing import Any

from scorelens import tracking
from scorelens.entities import Trace
from scorelens.paged_list import PagedList
from scorelens.search import merge_locations, read_traces
from scorelens.search_filter import (
    matches_all,
    parse_order_by,
    search_clauses,
    sort_traces,
)
from scorelens.store import TraceStore
from scorelens.tracing.export import exporter

# mlflow.store.tracking.SEARCH_TRACES_DEFAULT_MAX_RESULTS and the SQL store's upper bound.
SEARCH_TRACES_DEFAULT_MAX_RESULTS = 100
SEARCH_TRACES_MAX_RESULTS = 50000

_TOKEN_VERSION = 1


class MlflowClient:
    """A client of one ScoreLens store, with MLflow's `MlflowClient` trace methods."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        if tracking_uri is None:
            self._store = tracking.get_store()
        else:
            root = os.path.abspath(tracking.store_folder(tracking_uri))
            # The process's own store object when it is the same folder, so the two share its
            # index cache instead of each reading index.json.
            current = tracking.get_store()
            self._store = current if current.root == root else TraceStore(root)
        # ScoreLens has no model registry; MLflow defaults the registry to the tracking store,
        # and the value is kept only so `registry_uri` reads back as it does there.
        self._registry_uri = self._store.root if registry_uri is None else registry_uri

    @property
    def tracking_uri(self) -> str:
        return self._store.root

    @property
    def registry_uri(self) -> str:
        return self._registry_uri

    def get_trace(self, trace_id: str, flush: bool = False) -> Trace:
        """The stored trace with this id, with its assessments; ValueError if there is none.

        `flush` is accepted as in MLflow; traces recorded in this process are always written
        before the read.
        """
        del flush
        exporter.flush()
        trace = self._store.find_trace(trace_id)
        if trace is None:
            # MLflow raises MlflowException (NOT_FOUND) with this message.
            raise ValueError(f"Trace with ID {trace_id!r} not found.")
        return trace

    def search_traces(
        self,
        experiment_ids: list[str] | None = None,
        filter_string: str | None = None,
        max_results: int = SEARCH_TRACES_DEFAULT_MAX_RESULTS,
        order_by: list[str] | None = None,
        page_token: str | None = None,
        run_id: str | None = None,
        include_spans: bool = True,
        model_id: str | None = None,
        locations: list[str] | None = None,
        flush: bool = False,
    ) -> PagedList[Trace]:
        """One page (at most `max_results`) of the traces matching `filter_string`.

        `locations` are experiment ids (`experiment_ids` is its deprecated name); with neither,
        every experiment of the store is searched, as MLflow's client does. `run_id` narrows
        to one run (whose experiment must be among `locations` when they are given). Order is
        `order_by`'s, newest first by default. Pass the returned `.token` as `page_token` for
        the next page; it is None on the last page. `flush` is accepted; traces recorded in
        this process are always written before the search.

        Raises ValueError for a bad argument, an unknown run, or a page token that is not one
        of this query's; SearchFilterError (a ValueError) for a filter or order-by that does
        not parse.
        """
        del flush
        locations = merge_locations(experiment_ids, locations)
        if locations is not None and not isinstance(locations, (list, tuple)):
            raise ValueError(
                f"locations must be a list, got {type(locations).__name__}. "
                f"Did you mean to use locations=[{locations!r}]?"
            )
        if isinstance(max_results, bool) or not isinstance(max_results, int):
            raise ValueError(f"max_results must be an int, got {max_results!r}")
        if max_results > SEARCH_TRACES_MAX_RESULTS:
            raise ValueError(
                f"Invalid value {max_results} for parameter 'max_results' supplied. It must be "
                f"at most {SEARCH_TRACES_MAX_RESULTS}"
            )
        scope = None if locations is None else [str(location) for location in locations]
        fingerprint = _fingerprint(
            self._store.root, scope, run_id, model_id, filter_string, order_by
        )
        # An empty token is no token, as in MLflow.
        offset = _read_token(page_token, fingerprint) if page_token else 0

        # Parsed before any read, so a bad filter fails the same on an empty store.
        clauses = search_clauses(filter_string, run_id, model_id)
        keys = parse_order_by(order_by)
        if max_results <= 0:
            return PagedList([], None)

        exporter.flush()
        found = read_traces(
            self._store,
            matches_all(clauses),
            run_id=run_id,
            scope=scope,
            missing_run=f"Run with id={run_id} not found",
        )
        ordered = sort_traces(found, keys)
        page = ordered[offset : offset + max_results]
        if not include_spans:
            page = [Trace(t.info, []) for t in page]
        end = offset + len(page)
        # MLflow's SQL store hands out a token whenever a page is full, even when nothing
        # follows; knowing the total, the token here is None as soon as nothing is left.
        token = _make_token(end, fingerprint) if end < len(ordered) else None
        return PagedList(page, token)


def _fingerprint(*query: Any) -> str:
    text = json.dumps(query, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _make_token(offset: int, fingerprint: str) -> str:
    doc = {"v": _TOKEN_VERSION, "offset": offset, "query": fingerprint}
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode("ascii")


def _read_token(token: str, fingerprint: str) -> int:
    """The offset a token of this query points at; ValueError for any other token."""
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (binascii.Error, UnicodeError, ValueError):
        raise ValueError(
            f"Invalid page token {token!r}: not a token returned by search_traces"
        ) from None
    if (
        not isinstance(doc, dict)
        or doc.get("v") != _TOKEN_VERSION
        or type(doc.get("offset")) is not int
        or doc["offset"] < 0
    ):
        raise ValueError(f"Invalid page token {token!r}: not a token returned by search_traces")
    if doc.get("query") != fingerprint:
        raise ValueError(
            "This page token belongs to a different search: pass page_token only with the "
            "same store, locations, run_id, model_id, filter_string and order_by that "
            "returned it."
        )
    offset: int = doc["offset"]
    return offset


__all__ = ["MlflowClient", "PagedList"]
