"""From result rows to the figures a lens, hover or panel header shows. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scorelens.genai.aggregations import numeric
from scorelens.genai.verdicts import pass_fail as pass_fail  # scoring.py reads it from here
from scorelens.genai.verdicts import verdict

Rows = dict[str, list[dict[str, Any]]]  # trace id -> result rows of one scorer version


def primary_rows(rows: list[dict[str, Any]], scorer_name: str) -> list[dict[str, Any]]:
    """A scorer returning several Feedback is summarised by the one named after it, or the first."""
    own = [r for r in rows if r["name"] == scorer_name]
    return own or rows[:1]


def values(by_trace: Rows, trace_ids: Iterable[str], scorer_name: str) -> list[Any]:
    out = []
    for trace_id in trace_ids:
        for row in primary_rows(by_trace.get(trace_id, []), scorer_name):
            if row["error"] is None:
                out.append(row["value"])
    return out


def primary_value(by_trace: Rows | None, trace_id: str, scorer_name: str) -> Any:
    if by_trace is None:
        return None
    rows = primary_rows(by_trace.get(trace_id, []), scorer_name)
    return rows[0]["value"] if rows and rows[0]["error"] is None else None


def format_number(value: float) -> str:
    if abs(value - round(value)) < 1e-9 and abs(value) < 1e15:
        return f"{round(value):,}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:,.1f}"


def format_delta(value: float, previous: float | None) -> str:
    if previous is None:
        return ""
    delta = value - previous
    if abs(delta) < 1e-12:
        return " (=)"
    arrow = "▲" if delta > 0 else "▼"
    return f" ({arrow}{format_number(abs(delta))})"


def is_numeric(values_seen: list[Any]) -> bool:
    return any(numeric(v) is not None for v in values_seen)


def buckets(values_seen: list[Any], count: int = 6) -> list[tuple[str, int]]:
    """A value distribution: pass/fail for bools and yes/no, ranges for numbers, else top values."""
    if not values_seen:
        return []
    verdicts = [verdict(v) for v in values_seen]
    if all(v is not None for v in verdicts):
        passed = sum(1 for v in verdicts if v)
        return [("pass", passed), ("fail", len(values_seen) - passed)]
    numbers = [
        float(v) for v in values_seen if not isinstance(v, (bool, str)) and numeric(v) is not None
    ]
    if len(numbers) == len(values_seen):
        low, high = min(numbers), max(numbers)
        if low == high:
            return [(format_number(low), len(numbers))]
        width = (high - low) / count
        counts = [0] * count
        for n in numbers:
            counts[min(int((n - low) / width), count - 1)] += 1
        return [
            (f"{format_number(low + i * width)}–{format_number(low + (i + 1) * width)}", c)
            for i, c in enumerate(counts)
        ]
    tally: dict[str, int] = {}
    for v in values_seen:
        tally[str(v)] = tally.get(str(v), 0) + 1
    return sorted(tally.items(), key=lambda item: -item[1])[:count]
