"""What each scorer's own model calls came to, for `scorelens score`: calls, new calls, tokens
and dollars, counted as the editor counts them (scorelens.judging.usage)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scorelens.judging import JudgeCall, PriceTable
from scorelens.judging.usage import format_cost, usage_of

HEADERS = ["scorer", "judge calls", "new", "tokens", "cost"]


def judge_usage_rows(
    judge_calls: Mapping[str, Sequence[JudgeCall]], prices: PriceTable
) -> list[list[str]]:
    """One row per scorer that called a model, in the order given."""
    rows = []
    for name, calls in judge_calls.items():
        usage = usage_of((c.to_span("") for c in calls), prices)
        if usage is None:
            continue
        # Exact counts in a table; a total some calls did not report is a lower bound.
        tokens = f"{usage.tokens:,}" if usage.tokens_complete else f">={usage.tokens:,}"
        if usage.tokens == 0 and not usage.tokens_complete:
            tokens = "?"  # e.g. streamed without usage: the model did not say
        rows.append(
            [name, f"{usage.calls:,}", f"{usage.new_calls:,}", tokens, format_cost(usage.cost_usd)]
        )
    return rows
