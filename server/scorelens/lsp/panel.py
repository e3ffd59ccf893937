"""Rows for the results panel: one per trace, a cell per scorer, filtered and paged."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scorelens.genai.aggregations import numeric, rating
from scorelens.genai.agreement import agrees
from scorelens.genai.labels import Label
from scorelens.lsp.labels import LabelBook, label_data
from scorelens.lsp.protocol import Bucket, Cell, ResultRow, ScorerSummary
from scorelens.lsp.summaries import Rows, buckets, primary_rows, primary_value, values
from scorelens.store.trace_summaries import TraceSummary

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
    trace_ids: list[str],
    summaries: Callable[[list[str]], Mapping[str, TraceSummary]],
    columns: list[Column],
    labels: LabelBook,
    offset: int,
    limit: int,
    keep: str,
    sort_by: str | None = None,
    descending: bool = False,
) -> tuple[int, list[ResultRow]]:
    """(rows matching the filter, the page of them). `summaries` gives the traces' previews
    and states, which only the page needs: they are read from the store."""
    limit = max(1, min(limit, MAX_LIMIT))

    def cells_of(trace_id: str) -> dict[str, Cell]:
        cells: dict[str, Cell] = {}
        for summary, rows, previous in columns:
            cell = _cell(rows, previous, trace_id, summary["name"], labels)
            if cell is not None:
                cells[column_key(summary)] = cell
        return cells

    if keep == "all" and sort_by is None:
        # Every trace, in stored order: only the page's cells are worth making.
        total = len(trace_ids)
        page = [(t, cells_of(t)) for t in trace_ids[offset : offset + limit]]
    else:
        matched = [(t, cells) for t in trace_ids if _keep(keep, cells := cells_of(t))]
        if sort_by is not None:
            matched.sort(key=lambda row: _sort_key(row[1].get(sort_by)), reverse=descending)
        total, page = len(matched), matched[offset : offset + limit]
    found = summaries([t for t, _ in page])
    out: list[ResultRow] = []
    for trace_id, cells in page:
        known = found.get(trace_id)
        out.append(
            {
                "traceId": trace_id,
                "inputPreview": "" if known is None else known.inputs_preview,
                "outputPreview": "" if known is None else known.outputs_preview,
                "state": "" if known is None else known.state,
                "cells": cells,
            }
        )
    return total, out


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
