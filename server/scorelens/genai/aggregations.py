"""Turning many per-trace values into one figure per scorer, as MLflow's scorers.aggregation."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any, TypeAlias

import numpy as np

Aggregation: TypeAlias = str | Callable[[list[float]], float]

DEFAULT_AGGREGATIONS: tuple[str, ...] = ("mean",)

# numpy's, as MLflow computes them, so figures agree with MLflow's to the last bit.
BUILTIN: dict[str, Callable[[list[float]], Any]] = {
    "min": np.min,
    "max": np.max,
    "mean": np.mean,
    "median": np.median,
    "variance": np.var,
    "p90": lambda values: np.percentile(values, 90),
}

# MLflow's CategoricalRating: "yes" and "no", in any case, are pass and fail.
_RATINGS = {"yes": 1.0, "no": 0.0}


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


def rating(value: Any) -> float | None:
    """1.0 for "yes", 0.0 for "no" (any case), None for anything else."""
    return _RATINGS.get(value.lower()) if isinstance(value, str) else None


def numeric(value: Any) -> float | None:
    """The number a value counts as, or None for values that do not aggregate.

    As in MLflow: numbers, bools as 1/0 and "yes"/"no" (any case) as 1/0. Unlike MLflow, NaN
    and infinities are left out: the store keeps them as null, so they could not be recomputed.
    """
    kind = type(value)
    if kind is float or kind is int:  # the common case, without the slower checks below
        return float(value) if math.isfinite(value) else None
    if kind is bool:
        return 1.0 if value else 0.0
    if kind is str:
        return _RATINGS.get(value.lower())
    if isinstance(value, Real) and math.isfinite(float(value)):
        return float(value)
    return rating(value)


def aggregate(values: Sequence[Any], aggregations: Sequence[Aggregation]) -> dict[str, float]:
    """{aggregation name: figure} over the values that count as numbers; empty when none do.

    A callable aggregation that raises is left out and said on stderr, as MLflow logs it.
    """
    numbers: list[float] = []
    for value in values:
        kind = type(value)
        if kind is int or kind is float:  # numeric()'s common case, without a call per value
            if math.isfinite(value):
                numbers.append(float(value))
            continue
        number = numeric(value)
        if number is not None:
            numbers.append(number)
    if not numbers:
        return {}
    out: dict[str, float] = {}
    for aggregation in aggregations:
        if isinstance(aggregation, str):
            out[aggregation] = float(BUILTIN[aggregation](numbers))
            continue
        try:
            out[aggregation_name(aggregation)] = float(aggregation(numbers))
        except Exception as exc:
            print(
                f"scorelens: aggregation {aggregation_name(aggregation)!r} failed: "
                f"{type(exc).__name__}: {exc}",
                file=sys.stderr,
            )
    return out
