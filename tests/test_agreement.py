"""Agreement of a scorer with human labels: the rule per kind of value, abstentions, precision and
recall of "fail", and which labelled traces flipped between two runs."""

from __future__ import annotations

from typing import Any

import pytest

from scorelens.genai.agreement import Agreement, agreement, agreement_metrics, agrees, flipped
from scorelens.genai.labels import Label


def labels(**values: Any) -> dict[str, Label]:
    """Labels by trace id (the keyword), by user "ana"."""
    return {t: Label(t, "s", v, None, "ana", 0, None) for t, v in values.items()}


def ok(**values: Any) -> dict[str, tuple[Any, str | None]]:
    """Results without errors, by trace id."""
    return {t: (v, None) for t, v in values.items()}


@pytest.mark.parametrize(
    ("scorer_value", "label_value", "expected"),
    [
        (True, True, True),
        (False, True, False),
        ("yes", True, True),  # MLflow's yes/no ratings are verdicts, in any case
        ("No", False, True),
        ("NO", True, False),
        (0.7, True, None),  # no verdict: the scorer abstains
        ("maybe", False, None),
        (None, True, None),
        (True, "yes", True),  # a "yes"/"no" label, as log_feedback may hold one, is a verdict
        ("no", "yes", False),
        (3, 3, True),
        (3, 3.0, True),
        (0.1 + 0.2, 0.3, True),  # within 1e-9
        (0.3001, 0.3, False),
        (1e-12, 0, True),  # absolute tolerance near zero
        (True, 1, False),  # a bool is not a number
        ("3", 3, False),
        ("  Paris ", "paris", True),  # strings: blanks around and case ignored
        ("Lyon", "Paris", False),
        ("maybe", "yes", False),  # no verdict from the scorer: compared as text
        (3, "3", False),
        ([1, 2], [1, 2], True),  # anything else by ==
        ({"a": 1}, {"a": 2}, False),
        (True, None, None),  # an unsure label
    ],
)
def test_agrees(scorer_value: Any, label_value: Any, expected: bool | None) -> None:
    assert agrees(scorer_value, label_value) is expected


def test_counts_agreeing_and_lists_the_rest_in_label_order() -> None:
    found = agreement(
        ok(a=True, b=False, c="yes", d="no", e=True),
        labels(a=True, b=True, c=True, d=False, e=False),
    )
    assert found == Agreement(
        agree=3,
        total=5,
        abstained=0,
        disagreeing=("b", "e"),
        fail_precision=0.5,  # the scorer failed b and d; d is labelled fail
        fail_recall=0.5,  # labelled fail: d and e; the scorer failed d
    )
    assert found.text == "labels 3/5 agree"
    assert agreement_metrics("s", found) == {
        "s/agreement": 0.6,
        "s/fail_precision": 0.5,
        "s/fail_recall": 0.5,
    }


def test_unsure_labels_and_unscored_traces_do_not_count() -> None:
    found = agreement(ok(a=True, b=True), labels(a=True, b=None, c=False))
    assert found is not None
    assert (found.agree, found.total, found.abstained, found.disagreeing) == (1, 1, 0, ())
    # Nothing to compare: only unsure labels, or labels of traces this run did not score.
    assert agreement(ok(a=True, b=True), labels(b=None, z=True)) is None
    assert agreement({}, labels(a=True)) is None
    assert agreement(ok(a=True), {}) is None


def test_errors_and_missing_verdicts_abstain_and_show_as_disagreeing() -> None:
    results = {
        "a": (True, None),
        "b": (None, "ValueError: bad input"),
        "c": (None, None),  # the scorer returned None
        "d": (0.4, None),  # no verdict for a pass/fail label
        "e": (False, "TypeError: x"),  # an errored row's value is not its verdict
    }
    found = agreement(results, labels(a=True, b=True, c=False, d=False, e=False))
    assert found is not None
    assert (found.agree, found.total, found.abstained) == (1, 5, 4)
    assert found.disagreeing == ("b", "c", "d", "e")
    # No row the scorer failed, so precision is undefined; of three labelled fails, none caught.
    assert (found.fail_precision, found.fail_recall) == (None, 0.0)


def test_precision_and_recall_only_for_pass_fail_labels() -> None:
    numeric = agreement(ok(a=3, b=4), labels(a=3, b=5))
    assert numeric is not None
    assert (numeric.agree, numeric.total, numeric.disagreeing) == (1, 2, ("b",))
    assert (numeric.fail_precision, numeric.fail_recall) == (None, None)
    assert agreement_metrics("n", numeric) == {"n/agreement": 0.5}
    # One label that is not pass/fail makes the whole scorer's precision and recall undefined.
    mixed = agreement(ok(a=False, b="x"), labels(a=False, b="x"))
    assert mixed is not None
    assert (mixed.agree, mixed.fail_precision, mixed.fail_recall) == (2, None, None)
    # Every label a pass: no labelled fails, so recall is undefined; precision is 0 of 1.
    passes = agreement(ok(a=False, b=True), labels(a=True, b=True))
    assert passes is not None
    assert (passes.fail_precision, passes.fail_recall) == (0.0, None)


def test_flipped_lists_labelled_traces_whose_agreement_changed() -> None:
    before = {
        "a": (True, None),
        "b": (False, None),
        "c": (None, "boom"),
        "d": (True, None),
        "e": (True, None),
        "u": (True, None),
    }
    after = {
        "a": (False, None),  # agreed, now disagrees
        "b": (True, None),  # disagreed, now agrees
        "c": (True, None),  # errored, now agrees
        "d": (True, None),  # unchanged
        "e": (None, "boom"),  # agreed, now errors
        "u": (False, None),  # unsure label: never counted
        "n": (True, None),  # not scored before
    }
    marks = labels(a=True, b=True, c=True, d=True, e=True, u=None, n=True)
    assert flipped(before, after, marks) == ["a", "b", "c", "e"]
    assert flipped(after, after, marks) == []
    # Disagreeing both ways (a wrong verdict, then an error) is no flip.
    assert flipped({"a": (False, None)}, {"a": (None, "boom")}, labels(a=True)) == []
