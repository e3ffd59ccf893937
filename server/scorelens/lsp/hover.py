"""Hover on a scorer's name: how its values are distributed, example errors, the slowest trace."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from scorelens.lsp.discovery import ScorerDef
from scorelens.lsp.summaries import Rows, format_number, primary_rows

_BAR = "█"


def markdown(scorer: ScorerDef, rows: Rows, trace_ids: list[str]) -> str:
    scored = [(t, primary_rows(rows[t], scorer.name)) for t in trace_ids if rows.get(t)]
    if not scored:
        return f"**{scorer.name}**: not scored yet on the {len(trace_ids)} active traces."
    good = [r[0] for _, r in scored if r and r[0]["error"] is None]
    bad = [(t, r[0]) for t, r in scored if r and r[0]["error"] is not None]
    lines = [f"**{scorer.name}** on {len(scored)} traces", ""]
    lines += _distribution([row["value"] for row in good])
    if bad:
        lines += ["", f"**Errors** ({len(bad)}):"]
        for trace_id, row in bad[:3]:
            lines.append(f"- `{trace_id}`: {row['error']}")
    timed = [(row.get("durationMs", 0.0), t) for t, rs in scored for row in rs[:1]]
    if timed:
        slowest_ms, slowest_id = max(timed)
        lines += ["", f"**Slowest trace**: `{slowest_id}` ({slowest_ms:.1f} ms)"]
    return "\n".join(lines)


def _distribution(values: list[Any]) -> list[str]:
    if not values:
        return ["No values."]
    if all(isinstance(v, bool) for v in values):
        passed = sum(values)
        return [f"- pass: {passed}", f"- fail: {len(values) - passed}"]
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) == len(values):
        return _histogram(numbers)
    counts = Counter(str(v) for v in values)
    return [f"- `{value}`: {count}" for value, count in counts.most_common(8)]


def _histogram(numbers: list[float], buckets: int = 6) -> list[str]:
    low, high = min(numbers), max(numbers)
    head = (
        f"min {format_number(low)} · median {format_number(statistics.median(numbers))} · "
        f"max {format_number(high)}"
    )
    if low == high:
        return [head]
    width = (high - low) / buckets
    counts = [0] * buckets
    for n in numbers:
        counts[min(int((n - low) / width), buckets - 1)] += 1
    most = max(counts)
    lines = [head, "", "```"]
    for i, count in enumerate(counts):
        start = low + i * width
        bar = _BAR * max(min(count, 1), round(20 * count / most))
        lines.append(f"{format_number(start):>9} {bar} {count}")
    lines.append("```")
    return lines
