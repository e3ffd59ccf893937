"""Pass and fail: how the values of a bool or MLflow "yes"/"no" scorer are counted and said.

The editor's lens and `scorelens score` both read these, so the two always say the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scorelens.genai.aggregations import rating


def verdict(value: Any) -> bool | None:
    """Pass (True) or fail (False) for a bool or an MLflow "yes"/"no" rating; else None."""
    if isinstance(value, bool):
        return value
    judged = rating(value)
    return None if judged is None else judged == 1.0


def pass_fail(values: Iterable[Any]) -> tuple[int | None, int | None]:
    """(passed, failed) for pass/fail scorers (bools, "yes"/"no"), whose None values abstain.

    (None, None) when any value is something else, or when every value abstained.
    """
    passed = failed = 0
    for value in values:
        if value is None:
            continue
        judged = verdict(value)
        if judged is None:
            return None, None  # at the first value that is not a verdict: 100,000 numbers cost one
        if judged:
            passed += 1
        else:
            failed += 1
    return (passed, failed) if passed or failed else (None, None)


def pass_count(passed: int, failed: int) -> str:
    """`44/55 pass`: of the values that gave a verdict, how many passed."""
    return f"{passed}/{passed + failed} pass"
