"""What scorers read from each active trace, kept by the worker from one request to the next.

A trace's inputs, outputs and expectations are read from the stored documents without building
its spans, and kept marshalled, one bytes object per segment: at 100,000 traces, whole traces
(or even their inputs as Python objects) were most of the worker's memory, and unmarshalling a
row's values costs well under a microsecond. Each scorer's rows are made as the pool takes
them, with only the values it declares.

Segments are never rewritten, so new ones add their rows without the others being read again.
An Expectation logged on a trace (a change of the assessment files) is read on the next request.
Scorers that declare `trace` get whole traces, loaded when one first asks (store/trace_cache.py).
"""

from __future__ import annotations

import marshal
import sys
from array import array
from collections.abc import Container, Sequence
from typing import Any, overload

from scorelens.entities import Assessment, Expectation, Trace
from scorelens.genai.scorer_pool import Row
from scorelens.store import TraceStore
from scorelens.store.trace_cache import TraceCache
from scorelens.store.trace_summaries import root_io

_FIELDS = 3  # inputs, outputs, the trace's own expectations


class _Segment:
    """One segment's values, marshalled one after another; `ends[3 * i + f]` is where field
    `f` of its i-th trace ends."""

    __slots__ = ("blob", "ends")

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        pieces: list[bytes] = []
        ends = array("I")
        end = 0
        for doc in docs:
            inputs, outputs = root_io(doc)
            for value in (inputs, outputs, doc["info"].get("expectations") or {}):
                piece = marshal.dumps(value)
                pieces.append(piece)
                end += len(piece)
                ends.append(end)
        self.blob = b"".join(pieces)
        self.ends = ends

    def value(self, index: int, field: int) -> Any:
        at = _FIELDS * index + field
        start = self.ends[at - 1] if at else 0
        return marshal.loads(memoryview(self.blob)[start : self.ends[at]])


class TraceRows:
    def __init__(self) -> None:
        self._source: tuple[str, str | None] | None = None  # (store root, run id)
        self._listed: list[tuple[str, str]] = []  # (group, segment) read, in order
        self._segments: list[_Segment] = []
        self._segment_of = array("I")  # a trace's place -> its segment's place
        self._index = array("I")  # a trace's place -> its place in that segment
        self._stamps: tuple[object, ...] | None = None  # of the groups' assessment files
        self._logged: dict[str, dict[str, Any]] = {}  # Expectations logged on traces
        self.ids: list[str] = []
        self._whole = TraceCache()

    def refresh(self, store_root: str, run_id: str | None) -> list[str]:
        """Catch up with the store; the active traces' ids, in stored order."""
        store = TraceStore(store_root)
        groups = store.groups(run_id=run_id)
        listed = [(group, name) for group in groups for name in store.segments(group)]
        known = len(self._listed)
        if self._source != (store.root, run_id) or listed[:known] != self._listed:
            # Another store or run, or a segment gone or come before those read: read all.
            self._source, self._listed, self._segments = (store.root, run_id), [], []
            self._segment_of, self._index, self.ids, known = array("I"), array("I"), [], 0
        stamps = tuple(store.assessments_stamp(group) for group in groups)
        if stamps != self._stamps:
            self._logged, self._stamps = _logged_expectations(store, groups), stamps
        if listed == self._listed:
            return self.ids
        ids = list(self.ids)  # a new list: a caller may still hold the old one
        for group, name in listed[known:]:
            docs = store.read_segment(group, name)
            place = len(self._segments)
            self._segments.append(_Segment(docs))
            for index, doc in enumerate(docs):
                ids.append(sys.intern(doc["info"]["trace_id"]))
                self._segment_of.append(place)
                self._index.append(index)
        self._listed, self.ids = listed, ids
        return ids

    def rows(
        self,
        places: Sequence[int],
        declared: Container[str],
        whole: dict[str, Trace] | None = None,
    ) -> Sequence[Row]:
        """The rows of the traces at these places, for a scorer that declares `declared`
        (values it does not declare stay None); `whole` gives the traces for `trace`."""
        return _Rows(self, places, declared, whole)

    def row(self, place: int, declared: Container[str], whole: dict[str, Trace] | None) -> Row:
        segment = self._segments[self._segment_of[place]]
        index = self._index[place]
        trace_id = self.ids[place]
        expectations = None
        if "expectations" in declared:
            expectations = segment.value(index, 2)
            logged = self._logged.get(trace_id)
            if logged:
                expectations = {**expectations, **logged}
        return Row(
            segment.value(index, 0) if "inputs" in declared else None,
            segment.value(index, 1) if "outputs" in declared else None,
            expectations,
            whole.get(trace_id) if whole is not None else None,
        )

    def whole_traces(self, store_root: str, run_id: str | None) -> dict[str, Trace]:
        """The active traces, whole, by id: for scorers that declare `trace`. Loaded at the
        first such scorer's run and kept while the store is unchanged."""
        return {t.trace_id: t for t in self._whole.get(store_root, run_id)}


class _Rows(Sequence[Row]):
    """Rows made when the scorer pool takes them: one trace's values at a time in memory."""

    def __init__(
        self,
        source: TraceRows,
        places: Sequence[int],
        declared: Container[str],
        whole: dict[str, Trace] | None,
    ) -> None:
        self._source = source
        self._places = places
        self._declared = declared
        self._whole = whole

    def __len__(self) -> int:
        return len(self._places)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | Sequence[Row]:
        if isinstance(index, slice):
            return _Rows(self._source, self._places[index], self._declared, self._whole)
        return self._source.row(self._places[index], self._declared, self._whole)


def _logged_expectations(store: TraceStore, groups: list[str]) -> dict[str, dict[str, Any]]:
    """Per trace, the Expectations logged on it that are still valid, by name: they win over
    the eval row's (as `entities.trace.expectations_of` reads them)."""
    found: dict[str, dict[str, Any]] = {}
    for group in groups:
        by_trace = store.load_assessments(group, keep=_is_expectation)
        for trace_id, items in by_trace.items():
            valid = [a for a in items if _valid_expectation(a)]
            if valid:
                found.setdefault(trace_id, {}).update({a.name: a.value for a in valid})
    return found


def _is_expectation(record: dict[str, Any]) -> bool:
    return "expectation" in record


def _valid_expectation(item: Assessment) -> bool:
    return isinstance(item, Expectation) and item.valid is not False
