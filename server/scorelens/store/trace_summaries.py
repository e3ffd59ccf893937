"""A few fields of every stored trace, kept beside its segment for readers that need no spans.

    summaries/<group>/<segment>.json   {"version": 1, "traces": [[trace id, state,
                                        request time (ms), input preview, output preview], ...]}

One record per trace of `traces/<group>/<segment>.json`, in the same order. The language server
lists, pages and previews 100,000 traces from these without parsing (or holding) their spans.

`append_traces` writes a segment's summary right after the segment. A segment without one (a
store written before summaries existed, or a writer killed in between) gets it built on first
read. A summary follows from a segment that is never rewritten, so two processes building it
at once write the same bytes: each write is atomic and none needs a lock. A summary of another
version is built again; one left without its segment is never read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scorelens.entities.trace import dumps_json
from scorelens.store.atomic_file import write_atomically
from scorelens.text_preview import preview

VERSION = 1
PREVIEW_CHARS = 160  # what the results panel shows of a trace's inputs and outputs
FOLDER = "summaries"


@dataclass(frozen=True, slots=True)
class TraceSummary:
    trace_id: str
    state: str
    request_time: int
    inputs_preview: str
    outputs_preview: str


def root_io(doc: dict[str, Any]) -> tuple[Any, Any]:
    """The root span's inputs and outputs of a stored trace document (None, None without one),
    read from the document as `Trace.inputs` and `Trace.outputs` read them from the Trace."""
    for span in doc.get("spans") or ():
        if span.get("parent_id") is None:
            return span.get("inputs"), span.get("outputs")
    return None, None


def summarize(doc: dict[str, Any]) -> list[Any]:
    """The summary record of one stored trace document."""
    info = doc["info"]
    inputs, outputs = root_io(doc)
    return [
        info["trace_id"],
        str(info.get("state", "OK")),
        int(info.get("request_time", 0)),
        preview(inputs, PREVIEW_CHARS),
        preview(outputs, PREVIEW_CHARS),
    ]


def summary_path(store_root: str, group: str, segment: str) -> str:
    return os.path.join(store_root, FOLDER, group, segment)


def write(store_root: str, group: str, segment: str, docs: Sequence[dict[str, Any]]) -> None:
    write_records(store_root, group, segment, [summarize(doc) for doc in docs])


def write_records(store_root: str, group: str, segment: str, records: list[list[Any]]) -> None:
    path = summary_path(store_root, group, segment)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    payload = dumps_json({"version": VERSION, "traces": records}, separators=(",", ":"))
    write_atomically(path, payload.encode("utf-8"))


def read(store_root: str, group: str, segment: str) -> list[list[Any]] | None:
    """The segment's summary records; None when there is none yet (or of another version)."""
    try:
        with open(summary_path(store_root, group, segment), "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return None  # absent, or damaged: built again from the segment, which is the truth
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    records = data.get("traces")
    if not isinstance(records, list) or not all(
        isinstance(r, list) and len(r) == 5 and isinstance(r[0], str) for r in records
    ):
        return None
    return records


def summary_of(record: list[Any]) -> TraceSummary:
    trace_id, state, request_time, inputs, outputs = record
    return TraceSummary(trace_id, state, request_time, inputs, outputs)
