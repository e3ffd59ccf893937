"""Rows for the results panel: one per trace, a cell per scorer, filtered and paged."""

from __future__ import annotations

from typing import Any

from scorelens.entities import Trace
from scorelens.genai.aggregations import numeric, rating
from scorelens.genai.agreement import agrees
from scorelens.genai.labels import Label
from scorelens.lsp.labels import LabelBook, label_data
from scorelens.lsp.protocol import Bucket, Cell, ResultRow, ScorerSummary
from scorelens.lsp.summaries import Rows, buckets, primary_rows, primary_value, values
from scorelens.text_preview import preview

MAX_LIMIT = 500


def column_key(summary: ScorerSummary) -> str:
    """A panel column: one scorer of one file (two files may both define `response_length`)."""
    return f"{summary['uri']}#{summary['name']}"


def _cell(
    rows: Rows, previous: Rows | None, trace_id: str, name: str, labels: LabelBook
) -> Cell | None:
    mine = primary_rows(rows.get(trace_id, []), name)
    if not mine:
        return None
    row = mine[0]
    label = labels.for_scorer(row["name"]).get(trace_id)
    before = primary_value(previous, trace_id, name)
    known_before = previous is not None and trace_id in previous
    earlier = primary_rows(previous.get(trace_id, []), name) if previous is not None else []
    previous_error = earlier[0]["error"] if earlier else None
    agreed = _agreed(label, row["value"], row["error"])
    agreed_before = _agreed(label, before, previous_error) if earlier else None
    return {
        "feedbackName": row["name"],
        "value": row["value"],
        "rationale": row["rationale"],
        "error": row["error"],
        "previous": before,
        "previousError": previous_error,
        "changed": known_before
        and (before != row["value"] or (previous_error is None) != (row["error"] is None)),
        "label": label_data(label),
        "agrees": agreed,
        "flipped": agreed is not None and agreed_before is not None and agreed != agreed_before,
    }


def _agreed(label: Label | None, value: Any, error: str | None) -> bool | None:
    """None without a definite label; an error or a value without a verdict is not agreeing."""
    if label is None or label.unsure:
        return None
    return error is None and agrees(value, label.value) is True


def distributions(trace_ids: list[str], columns: list[Column]) -> dict[str, list[Bucket]]:
    out: dict[str, list[Bucket]] = {}
    for summary, rows, _ in columns:
        seen = values(rows, trace_ids, summary["name"])
        out[column_key(summary)] = [
            {"label": label, "count": count} for label, count in buckets(seen)
        ]
    return out


Column = tuple[ScorerSummary, Rows, "Rows | None"]


def result_rows(
    traces: list[Trace],
    columns: list[Column],
    labels: LabelBook,
    offset: int,
    limit: int,
    keep: str,
    sort_by: str | None = None,
    descending: bool = False,
) -> tuple[int, list[ResultRow]]:
    """(rows matching the filter, the page of them)."""
    matched: list[ResultRow] = []
    for trace in traces:
        cells: dict[str, Cell] = {}
        for summary, rows, previous in columns:
            cell = _cell(rows, previous, trace.trace_id, summary["name"], labels)
            if cell is not None:
                cells[column_key(summary)] = cell
        if not _keep(keep, cells):
            continue
        matched.append(
            {
                "traceId": trace.trace_id,
                "inputPreview": preview(trace.inputs, 160),
                "outputPreview": preview(trace.outputs, 160),
                "state": trace.info.state,
                "cells": cells,
            }
        )
    if sort_by is not None:
        matched.sort(key=lambda row: _sort_key(row["cells"].get(sort_by)), reverse=descending)
    limit = max(1, min(limit, MAX_LIMIT))
    return len(matched), matched[offset : offset + limit]


def _sort_key(cell: Cell | None) -> tuple[int, float, str]:
    """Numbers (bools as 0/1) in order, then text, then errors, then missing cells."""
    if cell is None:
        return (3, 0.0, "")
    if cell["error"]:
        return (2, 0.0, cell["error"])
    number = numeric(cell["value"])
    if number is not None:
        return (0, number, "")
    return (1, 0.0, "" if cell["value"] is None else str(cell["value"]))


def _keep(keep: str, cells: dict[str, Cell]) -> bool:
    if keep == "errors":
        return any(c["error"] for c in cells.values())
    if keep == "failing":
        return any(c["error"] or _fails(c["value"]) for c in cells.values())
    if keep == "changed":
        return any(c["changed"] or c["flipped"] for c in cells.values())
    if keep == "disagrees":
        return any(c["agrees"] is False for c in cells.values())
    if keep == "unlabelled":
        return all(c["label"] is None for c in cells.values())
    return True


def _fails(value: Any) -> bool:
    # MLflow's verdicts: False, and "no" in any case.
    return value is False or rating(value) == 0.0
