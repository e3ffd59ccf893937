"""What each scorer's own model calls came to, for `scorelens score`: calls, new calls, tokens
and dollars.

Tokens and cost are those of every call, cached ones included: what the scorer costs on these
traces without the cache. `new` says how many this run actually sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scorelens.judging import JudgeCall, PriceTable

HEADERS = ["scorer", "judge calls", "new", "tokens", "cost"]


def judge_usage_rows(
    judge_calls: Mapping[str, Sequence[JudgeCall]], prices: PriceTable
) -> list[list[str]]:
    """One row per scorer that called a model, in the order given."""
    rows = []
    for name, calls in judge_calls.items():
        if not calls:
            continue
        new = sum(1 for call in calls if not call.cached)
        rows.append([name, f"{len(calls):,}", f"{new:,}", _tokens(calls), _cost(calls, prices)])
    return rows


def format_cost(dollars: float | None) -> str:
    """`$0.04`; a cost that rounds to nothing is `<$0.01` rather than a misleading `$0.00`."""
    if dollars is None:
        return "?"
    if dollars == 0:
        return "$0"
    if dollars < 0.01:
        return "<$0.01"
    return f"${dollars:,.2f}"


def _tokens(calls: Sequence[JudgeCall]) -> str:
    counted = [c for c in calls if c.input_tokens is not None or c.output_tokens is not None]
    if not counted:
        return "?"  # e.g. streamed without usage: the model did not say
    total = sum((c.input_tokens or 0) + (c.output_tokens or 0) for c in counted)
    # Some calls did not say what they used: the total is a lower bound.
    return f"{total:,}" if len(counted) == len(calls) else f">={total:,}"


def _cost(calls: Sequence[JudgeCall], prices: PriceTable) -> str:
    if any(c.input_tokens is None or c.output_tokens is None for c in calls):
        return "?"  # a price times unknown tokens is unknown, not zero
    return format_cost(prices.cost((c.model, c.input_tokens, c.output_tokens) for c in calls))
