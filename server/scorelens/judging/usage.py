"""What a scorer's model calls add up to, and how it reads: one rule for the lens, the hover,
the panel (which mirrors `format_tokens`/`format_cost` in TypeScript) and `scorelens score`.

Tokens and cost are those of every call, cached ones included: what the scorer costs on these
traces without the cache. `new_calls` says how many actually reached the model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from scorelens.judging.interception import CACHED_ATTRIBUTE
from scorelens.judging.prices import PriceTable
from scorelens.tracing.constant import SpanAttributeKey, TokenUsageKey
from scorelens.tracing.span_data import SpanData


@dataclass(frozen=True)
class Usage:
    calls: int
    new_calls: int
    tokens: int  # input and output, of the calls that said (see tokens_complete)
    tokens_complete: bool  # every call said what it used (a stream may not)
    cost_usd: float | None  # None: a model without a price, or tokens a call did not say


def judge_spans(kept: Iterable[Any]) -> list[SpanData]:
    """The judge spans among what a stored result row holds: rows kept by an earlier ScoreLens
    hold its judge records, which are not spans and are left out."""
    return [
        cast(SpanData, span)
        for span in kept
        if isinstance(span, dict) and CACHED_ATTRIBUTE in (span.get("attributes") or {})
    ]


def usage_of(spans: Iterable[SpanData], prices: PriceTable) -> Usage | None:
    """What judge spans (`JudgeCall.to_span`) add up to; None when there were none."""
    count = new = tokens = 0
    complete = True
    priced: list[tuple[str, int | None, int | None]] = []
    for span in judge_spans(spans):
        attributes = span["attributes"]
        count += 1
        new += not attributes[CACHED_ATTRIBUTE]
        used = attributes.get(SpanAttributeKey.CHAT_USAGE) or {}
        input_tokens = used.get(TokenUsageKey.INPUT_TOKENS)
        output_tokens = used.get(TokenUsageKey.OUTPUT_TOKENS)
        if input_tokens is None or output_tokens is None:
            complete = False
        tokens += (input_tokens or 0) + (output_tokens or 0)
        model = str(attributes.get(SpanAttributeKey.MODEL, "?"))
        priced.append((model, input_tokens, output_tokens))
    if count == 0:
        return None
    # A price times an unknown number of tokens is unknown, not zero.
    cost = prices.cost(priced) if complete else None
    return Usage(count, new, tokens, complete, cost)


def format_tokens(tokens: int) -> str:
    """Compact, for a lens: 999, 18.3k, 183k, 1M, 1.83M."""
    if tokens < 1_000:
        return str(tokens)
    # The unit changes where three significant digits would round up to a thousand of it.
    if tokens < 999_500:
        return f"{tokens / 1_000:.3g}k"
    if tokens < 999_500_000:
        return f"{tokens / 1_000_000:.3g}M"
    return f"{tokens / 1_000_000_000:.3g}B"


def format_cost(dollars: float | None) -> str:
    """`$0.04`; below a cent two significant digits (`$0.000053`), never `$0.00` for a cost
    that is not nothing; `?` when unknown."""
    if dollars is None:
        return "?"
    if dollars == 0 or dollars >= 0.01:
        return f"${dollars:,.2f}"
    digits = 1 - math.floor(math.log10(dollars))
    return f"${dollars:.{digits}f}".rstrip("0")
