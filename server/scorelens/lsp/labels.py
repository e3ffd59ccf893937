"""People's labels of the active traces, as the server shows them beside each scorer.

Labels are HUMAN feedback on the traces (scorelens.genai.labels), read from the assessment
files of the active traces' groups, never from the traces. The book is read again only when
those files change (a label set in the panel, `scorelens labels import`, `log_feedback` from a
notebook), so a save reads it from memory.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from scorelens.genai.agreement import Agreement, agreement
from scorelens.genai.labels import Label, labels_in_store
from scorelens.lsp.protocol import AgreementData, LabelData
from scorelens.lsp.summaries import Rows, primary_rows
from scorelens.lsp.trace_set import TraceSet

# Hover lists this many disagreeing traces; the panel's filter shows them all.
DISAGREEING_LISTED = 20


class LabelBook:
    def __init__(self, trace_set: TraceSet) -> None:
        self.trace_set = trace_set
        self._seen: tuple[int, int] | None = None
        self._by_scorer: dict[str, dict[str, Label]] = {}
        self._stamp: tuple[object, ...] | None = None
        self._stamps_seen = 0
        # The event loop asks, and a thread reads new labels: one reader at a time.
        self._lock = threading.RLock()

    def generation(self) -> tuple[int, int]:
        """Changes whenever the labels may have: memoise what is derived from them on it."""
        with self._lock:
            stamp = self.trace_set.assessments_stamp()  # catches up with new traces first
            if stamp != self._stamp:
                self._stamp, self._stamps_seen = stamp, self._stamps_seen + 1
            return (self.trace_set.generation, self._stamps_seen)

    def for_scorer(self, name: str) -> Mapping[str, Label]:
        """trace id -> the current label, for the active traces labelled for `name` (a
        Feedback's name: a scorer's own, or one it gives its Feedback)."""
        self.refresh()
        return self._by_scorer.get(name, {})

    def by_name(self) -> Mapping[str, Mapping[str, Label]]:
        """Feedback name -> trace id -> the current label."""
        self.refresh()
        return self._by_scorer

    def refresh(self) -> None:
        """Read the labels again if they may have changed (in a thread when they might have:
        it reads the assessment files)."""
        with self._lock:
            seen = self.generation()
            if seen == self._seen:
                return
            by_trace = labels_in_store(self.trace_set.store, self.trace_set.groups())
            by_scorer: dict[str, dict[str, Label]] = {}
            for trace_id, labels in by_trace.items():
                for name, label in labels.items():
                    by_scorer.setdefault(name, {})[trace_id] = label
            self._by_scorer, self._seen = by_scorer, seen


def agreement_data(current: Agreement | None, previous: Agreement | None) -> AgreementData | None:
    if current is None:
        return None
    return {
        "agree": current.agree,
        "total": current.total,
        "abstained": current.abstained,
        "previousAgree": None if previous is None else previous.agree,
        "disagreeing": list(current.disagreeing[:DISAGREEING_LISTED]),
    }


def compare(
    rows: Rows, previous: Rows | None, trace_ids: list[str], name: str, labels: LabelBook
) -> AgreementData | None:
    """The scorer's agreement with the labels of the Feedback it shows (see primary_rows), and
    its previous version's on the same labels. Walks the labels, not the traces: a save at
    10,000 traces with a few labels costs a few lookups."""
    by_name = labels.by_name()
    if not by_name:
        return None
    active = set(trace_ids)
    now: dict[str, tuple[Any, str | None]] = {}
    before: dict[str, tuple[Any, str | None]] = {}
    counted: dict[str, Label] = {}
    for feedback_name, by_trace in by_name.items():
        for trace_id, label in by_trace.items():
            if trace_id not in active:
                continue
            mine = primary_rows(rows.get(trace_id, []), name)
            if not mine or mine[0]["name"] != feedback_name:
                continue
            counted[trace_id] = label
            now[trace_id] = (mine[0]["value"], mine[0]["error"])
            earlier = primary_rows(previous.get(trace_id, []), name) if previous else []
            if earlier:
                before[trace_id] = (earlier[0]["value"], earlier[0]["error"])
    if not counted:
        return None
    return agreement_data(
        agreement(now, counted), agreement(before, counted) if previous is not None else None
    )


def label_data(label: Label | None) -> LabelData | None:
    if label is None:
        return None
    return {
        "value": label.value,
        "unsure": label.unsure,
        "note": label.note,
        "user": label.source_id,
    }
