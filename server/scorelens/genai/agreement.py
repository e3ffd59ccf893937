"""Does a scorer agree with the human labels? The arithmetic only: no store, no I/O.

A scorer's results are `trace id -> (value, error or None)`, one per trace the run scored (value
None where it gave no result); its labels are `trace id -> Label` (see scorelens.genai.labels).

The rule (`agrees`): a pass/fail label (a bool, or MLflow's "yes"/"no" as `log_feedback` may
have logged it) is compared with the scorer's verdict, so bool and "yes"/"no" scorers both
work; a number with a number, within 1e-9 (relative or absolute; a bool is not a number here);
a string with a string, ignoring surrounding blanks and case; anything else by `==`.

Counting (`agreement`): only traces with a definite label (not unsure) and a result in the run
count (`total`). Where the scorer errored, returned nothing or gave no verdict, it abstained:
counted in `total` and `abstained`, never in `agree`, and listed in `disagreeing` so the user
sees it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scorelens.genai.labels import Label
from scorelens.genai.verdicts import verdict

# The metrics `evaluate` adds per scorer with labels: `<scorer>/<one of these>`.
AGREEMENT_METRICS = ("agreement", "fail_precision", "fail_recall")

# One scorer's results: trace id -> (value, error message or None).
Results = Mapping[str, tuple[Any, str | None]]


def agrees(scorer_value: Any, label_value: Any) -> bool | None:
    """Whether the scorer's value matches the label's; None when either is None, or when the
    label is a bool and the scorer gave no verdict. A "yes"/"no" label is a verdict when the
    scorer gives one, and a string otherwise."""
    if scorer_value is None or label_value is None:
        return None
    # Tested by exact type first: this runs once per labelled row on every save in the editor.
    if type(label_value) is bool:
        judged = verdict(scorer_value)
        return None if judged is None else judged == label_value
    if _is_number(label_value):
        return _is_number(scorer_value) and math.isclose(
            scorer_value, label_value, rel_tol=1e-9, abs_tol=1e-9
        )
    if isinstance(label_value, str):
        expected = verdict(label_value)
        judged = None if expected is None else verdict(scorer_value)
        if judged is not None:
            return judged == expected
        return isinstance(scorer_value, str) and (
            scorer_value.strip().casefold() == label_value.strip().casefold()
        )
    return bool(scorer_value == label_value)


@dataclass(frozen=True)
class Agreement:
    """How one scorer's results compare with the labels of the traces it scored.

    `fail_precision`: of the labelled traces the scorer failed, the share labelled fail;
    `fail_recall`: of the traces labelled fail, the share the scorer failed. Only when every
    counted label is pass/fail (a bool or "yes"/"no"); None when there is nothing to divide by.
    """

    agree: int
    total: int
    abstained: int
    disagreeing: tuple[str, ...]  # trace ids, abstentions included, in the labels' order
    fail_precision: float | None
    fail_recall: float | None

    @property
    def text(self) -> str:
        return f"labels {self.agree}/{self.total} agree"

    @property
    def rate(self) -> float:
        """agree / total (total is never 0: an agreement needs a counted label)."""
        return self.agree / self.total


def agreement(results: Results, labels: Mapping[str, Label]) -> Agreement | None:
    """The agreement of `results` with `labels`; None when no definite label has a result."""
    agree = abstained = 0
    disagreeing: list[str] = []
    pass_fail = True
    predicted_fail = labelled_fail = both_fail = 0
    for trace_id, label in labels.items():
        expected = label.value
        if expected is None:
            continue
        result = results.get(trace_id)
        if result is None:
            continue
        value, error = result
        matched = None if error is not None else agrees(value, expected)
        if matched is None:
            abstained += 1
            disagreeing.append(trace_id)
        elif matched:
            agree += 1
        else:
            disagreeing.append(trace_id)
        label_verdict = expected if type(expected) is bool else verdict(expected)
        if label_verdict is None:
            pass_fail = False
        elif pass_fail:
            scorer_fails = error is None and verdict(value) is False
            predicted_fail += scorer_fails
            labelled_fail += not label_verdict
            both_fail += scorer_fails and not label_verdict
    total = agree + len(disagreeing)
    if total == 0:
        return None
    return Agreement(
        agree=agree,
        total=total,
        abstained=abstained,
        disagreeing=tuple(disagreeing),
        fail_precision=both_fail / predicted_fail if pass_fail and predicted_fail else None,
        fail_recall=both_fail / labelled_fail if pass_fail and labelled_fail else None,
    )


def flipped(before: Results, after: Results, labels: Mapping[str, Label]) -> list[str]:
    """Traces with a definite label and a result in both runs that agree in one run and not in
    the other (an abstention is not agreeing), in the labels' order."""
    changed: list[str] = []
    for trace_id, label in labels.items():
        if label.value is None:
            continue
        old, new = before.get(trace_id), after.get(trace_id)
        if old is None or new is None:
            continue
        if _agreed(old, label.value) != _agreed(new, label.value):
            changed.append(trace_id)
    return changed


def agreement_metrics(name: str, found: Agreement) -> dict[str, float]:
    """`<name>/agreement`, and `<name>/fail_precision` and `/fail_recall` where defined: what
    `evaluate` adds to its metrics."""
    figures = (found.rate, found.fail_precision, found.fail_recall)
    return {
        f"{name}/{metric}": figure
        for metric, figure in zip(AGREEMENT_METRICS, figures, strict=True)
        if figure is not None
    }


def _agreed(result: tuple[Any, str | None], expected: Any) -> bool:
    value, error = result
    return error is None and agrees(value, expected) is True


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


__all__ = ["AGREEMENT_METRICS", "Agreement", "agreement", "agreement_metrics", "agrees", "flipped"]
