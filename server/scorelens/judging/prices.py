"""What a judge's tokens cost: dollars per million input and output tokens, per model.

The built-in table holds common OpenAI models at their list prices (standard tier, as
published by OpenAI in 2025); a JSON file named by SCORELENS_JUDGE_PRICES, or the editor's
`scorelens.judgePrices` setting, adds models or overrides these:
`{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}`. A model is found by its name or the longest
known name it starts with (`gpt-4o-mini-2024-07-18` is `gpt-4o-mini`); tokens of an unknown
model have no price, and the cost is then unknown rather than zero.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

PRICES_ENV = "SCORELENS_JUDGE_PRICES"

BUILT_IN: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "gpt-3.5-turbo": (0.50, 1.50),
}


class PriceTable:
    def __init__(self, overrides: Mapping[str, Any] | None = None, *, env: bool = True) -> None:
        self.prices = dict(BUILT_IN)
        if env:
            self.prices.update(_read(_from_env()))
        self.prices.update(_read(overrides or {}))

    @classmethod
    def built_in(cls) -> PriceTable:
        """The built-in prices alone, whatever SCORELENS_JUDGE_PRICES says."""
        return cls(env=False)

    def price_of(self, model: str) -> tuple[float, float] | None:
        if model in self.prices:
            return self.prices[model]
        known = [name for name in self.prices if model.startswith(name)]
        return self.prices[max(known, key=len)] if known else None

    def cost(self, calls: Iterable[tuple[str, int | None, int | None]]) -> float | None:
        """Dollars for (model, input tokens, output tokens) calls; None when any is unpriced."""
        total = 0.0
        for model, input_tokens, output_tokens in calls:
            price = self.price_of(model)
            if price is None:
                return None
            total += ((input_tokens or 0) * price[0] + (output_tokens or 0) * price[1]) / 1e6
        return total


def _from_env() -> Mapping[str, Any]:
    path = os.environ.get(PRICES_ENV)
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            loaded = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{PRICES_ENV}={path}: cannot read the price table: {exc}") from None
    return loaded if isinstance(loaded, dict) else {}


def _read(table: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for model, price in table.items():
        if isinstance(price, Mapping) and {"input", "output"} <= set(price):
            out[str(model)] = (float(price["input"]), float(price["output"]))
    return out
