"""Hover on a scorer's name: how its values are distributed, example errors, the traces where
it disagrees with people's labels, the slowest trace."""

from __future__ import annotations

import statistics
from typing import Any

from scorelens.lsp.discovery import ScorerDef
from scorelens.lsp.lenses import agreement_text, judge_text
from scorelens.lsp.protocol import AgreementData, JudgeUsage
from scorelens.lsp.summaries import Rows, buckets, format_number, primary_rows

_BAR = "█"


def markdown(
    scorer: ScorerDef,
    rows: Rows,
    trace_ids: list[str],
    judge: JudgeUsage | None = None,
    agreement: AgreementData | None = None,
) -> str:
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
    if agreement is not None:
        lines += ["", f"**Labels**: {agreement_text(agreement)}"]
        disagreeing = agreement["disagreeing"]
        if disagreeing:
            count = agreement["total"] - agreement["agree"]
            lines.append(
                f"Disagrees on {count} (failed or no verdict on {agreement['abstained']}):"
            )
            lines += [f"- `{trace_id}`" for trace_id in disagreeing]
            if count > len(disagreeing):
                lines.append(f"- … and {count - len(disagreeing)} more (the panel's filter)")
    if judge is not None:
        lines += ["", f"**Model calls**: {judge_text(judge)}"]
    timed = [(row.get("durationMs", 0.0), t) for t, rs in scored for row in rs[:1]]
    if timed:
        slowest_ms, slowest_id = max(timed)
        lines += ["", f"**Slowest trace**: `{slowest_id}` ({slowest_ms:.1f} ms)"]
    return "\n".join(lines)


def _distribution(values: list[Any]) -> list[str]:
    if not values:
        return ["No values."]
    found = buckets(values)
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    lines = []
    if len(numbers) == len(values):
        median = format_number(statistics.median(numbers))
        low, high = format_number(min(numbers)), format_number(max(numbers))
        lines += [f"min {low} · median {median} · max {high}", ""]
    most = max(count for _, count in found)
    lines.append("```")
    for label, count in found:
        bar = _BAR * max(min(count, 1), round(20 * count / most))
        lines.append(f"{label:>15} {bar} {count}")
    lines.append("```")
    return lines
