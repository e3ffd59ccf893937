"""Turning many per-trace values into one figure per scorer."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any, TypeAlias

Aggregation: TypeAlias = str | Callable[[list[float]], float]

DEFAULT_AGGREGATIONS: tuple[str, ...] = ("mean",)


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    # Linear interpolation between closest ranks, as numpy.percentile does by default.
    position = 0.9 * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _variance(values: list[float]) -> float:
    return statistics.pvariance(values)


BUILTIN: dict[str, Callable[[list[float]], float]] = {
    "min": min,
    "max": max,
    "mean": statistics.fmean,
    "median": statistics.median,
    "variance": _variance,
    "p90": _p90,
}


def aggregation_name(aggregation: Aggregation) -> str:
    if isinstance(aggregation, str):
        return aggregation
    return getattr(aggregation, "__name__", type(aggregation).__name__)


def validate(aggregations: Sequence[Aggregation]) -> None:
    for aggregation in aggregations:
        if isinstance(aggregation, str) and aggregation not in BUILTIN:
            raise ValueError(
                f"unknown aggregation {aggregation!r}; use one of {', '.join(BUILTIN)} "
                "or a callable taking a list of numbers"
            )
        if not isinstance(aggregation, str) and not callable(aggregation):
            raise TypeError(f"aggregation {aggregation!r} is neither a name nor a callable")


def numeric(value: Any) -> float | None:
    """The number a value counts as (bools as 1/0), or None for values that do not aggregate."""
    kind = type(value)
    if kind is float or kind is int:  # the common case, without the slow ABC check below
        return float(value) if math.isfinite(value) else None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, Real) and math.isfinite(float(value)):
        return float(value)
    return None


def aggregate(values: Sequence[Any], aggregations: Sequence[Aggregation]) -> dict[str, float]:
    """{aggregation name: figure} over the numeric values; empty when there are none."""
    numbers = [n for n in (numeric(v) for v in values) if n is not None]
    if not numbers:
        return {}
    out: dict[str, float] = {}
    for aggregation in aggregations:
        fn = BUILTIN[aggregation] if isinstance(aggregation, str) else aggregation
        out[aggregation_name(aggregation)] = float(fn(numbers))
    return out
