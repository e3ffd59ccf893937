"""Some groups' traces as ids and places in the store: what a reader of 100,000 traces keeps in
place of the traces themselves (the language server, which leaves spans to its worker).

Built from the segments' summaries (trace_summaries.py), never from spans. Segments are never
rewritten, so a segment added after the ones read adds its traces without the others being read
again. A page's previews, and one whole trace, are read from the store when asked for.
"""

from __future__ import annotations

import os
import sys
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable

from scorelens.entities import Trace
from scorelens.store.errors import StoreCorruptError
from scorelens.store.trace_store import TraceStore, attach_assessments
from scorelens.store.trace_summaries import TraceSummary, summary_of

# Segments whose summaries stay parsed for the next page: a page spans one or two of them.
_SEGMENTS_KEPT = 4


class TraceIndex:
    def __init__(self, store: TraceStore) -> None:
        self.store = store
        self.ids: list[str] = []  # in stored order: groups, then segments, oldest first
        self._segments: list[tuple[str, str]] = []  # (group, segment name)
        self._position: dict[str, int] = {}  # trace id -> its place in `ids`
        self._segment_of = array("I")  # place in `ids` -> its segment's place in `_segments`
        self._offset = array("I")  # place in `ids` -> its record's place in that segment
        self._parsed: OrderedDict[int, list[TraceSummary]] = OrderedDict()
        # Read from the event loop and from threads: one refresh at a time, so a new segment
        # is read once.
        self._lock = threading.RLock()

    def refresh(self, groups: Iterable[str]) -> bool:
        """Catch up with the store for these groups; True when the ids changed."""
        with self._lock:
            listed = [(group, name) for group in groups for name in self.store.segments(group)]
            if listed == self._segments:
                return False
            known = len(self._segments)
            if listed[:known] != self._segments:
                self._reset()  # a segment went, or came before the ones read: read them all
                known = 0
            ids = list(self.ids)  # a new list: callers may still hold the old one
            for place, (group, name) in enumerate(listed[known:], start=known):
                for offset, record in enumerate(self.store.summaries(group, name)):
                    # One string per id, shared with whatever else keys on it (results rows).
                    trace_id = sys.intern(record[0])
                    self._position[trace_id] = len(ids)
                    ids.append(trace_id)
                    self._segment_of.append(place)
                    self._offset.append(offset)
            self._segments, self.ids = listed, ids
            return True

    def _reset(self) -> None:
        self.ids, self._segments, self._position = [], [], {}
        self._segment_of, self._offset = array("I"), array("I")
        self._parsed.clear()

    def groups(self) -> list[str]:
        with self._lock:
            return sorted({group for group, _ in self._segments})

    def group_of(self, trace_id: str) -> str | None:
        with self._lock:
            place = self._position.get(trace_id)
            return None if place is None else self._segments[self._segment_of[place]][0]

    def summaries(self, trace_ids: Iterable[str]) -> dict[str, TraceSummary]:
        """The summaries of those of these traces that are indexed."""
        found: dict[str, TraceSummary] = {}
        with self._lock:
            for trace_id in trace_ids:
                place = self._position.get(trace_id)
                if place is not None:
                    found[trace_id] = self._parsed_segment(self._segment_of[place])[
                        self._offset[place]
                    ]
        return found

    def _parsed_segment(self, place: int) -> list[TraceSummary]:
        parsed = self._parsed.get(place)
        if parsed is None:
            group, name = self._segments[place]
            parsed = [summary_of(r) for r in self.store.summaries(group, name)]
            self._parsed[place] = parsed
            while len(self._parsed) > _SEGMENTS_KEPT:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(place)
        return parsed

    def read_trace(self, trace_id: str) -> Trace | None:
        """The whole trace, with its assessments, read from its segment; None if not indexed."""
        with self._lock:
            place = self._position.get(trace_id)
            if place is None:
                return None
            group, name = self._segments[self._segment_of[place]]
            offset = self._offset[place]
        docs = self.store.read_segment(group, name)
        doc = docs[offset] if offset < len(docs) else None
        if doc is None or doc["info"]["trace_id"] != trace_id:
            doc = next((d for d in docs if d["info"]["trace_id"] == trace_id), None)
            if doc is None:
                return None
        try:
            trace = Trace.from_dict(doc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            path = os.path.join(self.store.traces_dir, group, name)
            raise StoreCorruptError(path, f"not a trace document: {exc!r}") from None
        attach_assessments([trace], self.store.load_assessments(group, trace_ids={trace_id}))
        return trace
