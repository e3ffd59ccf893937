"""Labels: the verdict a human says a scorer should have given on a trace.

A label is stored as MLflow stores human feedback: a Feedback on the trace named after the
scorer, with `source=AssessmentSource("HUMAN", <user>)` and the note as its rationale. So
`scorelens.log_feedback(trace_id=..., name="is_polite", value=True,
source=AssessmentSource("HUMAN", "ana"))` makes one too, `search_traces` returns them, and
re-scoring, which replaces only the scorer's own (CODE or LLM_JUDGE) feedback, keeps them.

An "unsure" label (the human abstains) is a Feedback with value None and the metadata
`{"scorelens.label": "unsure"}`; any HUMAN feedback without a value reads as unsure.

The current label of a (trace, scorer) is, among the trace's valid HUMAN feedback of that
name, the one updated last (ties: the one stored last), whoever wrote it. `set_label` keeps
one per (trace, scorer, user): each user's latest.
"""

from __future__ import annotations

import getpass
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scorelens import tracking
from scorelens.entities import Assessment, AssessmentSource, AssessmentSourceType, Feedback
from scorelens.search import search_traces
from scorelens.store import TraceStore
from scorelens.tracing.export import exporter

USER_ENV = "SCORELENS_USER"
# Metadata that marks an abstention, so readers other than ScoreLens (MLflow's UI) see why a
# human feedback has no value.
LABEL_METADATA_KEY = "scorelens.label"
UNSURE = "unsure"


@dataclass(frozen=True)
class Label:
    """A human's verdict for one scorer on one trace.

    `value`: True/False for pass/fail, a number or a string for numeric or string scorers,
    None when the human was unsure. `source_id` is the user; `time_ms` when it was last set.
    """

    trace_id: str
    scorer: str
    value: Any
    note: str | None
    source_id: str
    time_ms: int
    assessment_id: str | None

    @property
    def unsure(self) -> bool:
        return self.value is None


class UnknownTraceError(ValueError):
    """A label for a trace the store does not hold; `trace_id` names it."""

    def __init__(self, trace_id: str, store_root: str) -> None:
        super().__init__(f"no trace {trace_id} in the store at {store_root}")
        self.trace_id = trace_id


def default_user() -> str:
    """Who labels: $SCORELENS_USER, else the login name, else "user"."""
    named = os.environ.get(USER_ENV)
    if named:
        return named
    try:
        return getpass.getuser() or "user"
    except (OSError, KeyError, ImportError):
        # No login name (a container with an unnamed uid): still a usable source id.
        return "user"


def set_label(
    trace_id: str,
    scorer: str,
    value: Any,
    *,
    note: str | None = None,
    user: str | None = None,
    unsure: bool = False,
) -> Label:
    """Label `trace_id` for `scorer`: the user's earlier label of it is replaced.

    `value` must be a bool, a finite number or a string; with `unsure=True` it is ignored and
    the label abstains (value None). `user` defaults to `default_user()`. Raises
    UnknownTraceError when the store has no such trace.
    """
    if value is None and not unsure:
        raise ValueError("a label needs a value; pass unsure=True to abstain")
    label = Label(
        trace_id, scorer, None if unsure else value, note, user or default_user(), 0, None
    )
    return set_labels([label])[0]


def set_labels(
    labels: Iterable[Label],
    *,
    store: TraceStore | None = None,
    groups: Mapping[str, str] | None = None,
) -> list[Label]:
    """Write many labels at once (one write per trace group); each as `set_label` does.

    `time_ms` and `assessment_id` of the given labels are ignored; the returned ones have the
    stored values. Every label is checked, and every trace found, before anything is written:
    an UnknownTraceError (or ValueError for a bad value) leaves the store as it was. Later
    labels of the same (trace, scorer, user) win. `store`: the active tracking store by default
    (the language server names its workspace's). `groups`: the store group of each trace, when
    the caller holds the traces (the language server does); else they are looked up, which
    reads every segment file.
    """
    wanted = list(labels)
    for label in wanted:
        check_label(label)
    exporter.flush()  # traces this process recorded may still wait in the exporter's batch
    store = store or tracking.get_store()
    ids = [label.trace_id for label in wanted]
    if groups is None or any(trace_id not in groups for trace_id in ids):
        groups = store.locate_traces(ids)
    for label in wanted:
        if label.trace_id not in groups:
            raise UnknownTraceError(label.trace_id, store.root)
    by_group: dict[str, dict[str, list[Assessment]]] = {}
    made: list[Feedback] = []
    for label in wanted:
        feedback = Feedback(
            name=label.scorer,
            value=label.value,
            source=AssessmentSource(AssessmentSourceType.HUMAN, label.source_id),
            rationale=label.note,
            metadata={LABEL_METADATA_KEY: UNSURE} if label.unsure else None,
        )
        by_group.setdefault(groups[label.trace_id], {}).setdefault(label.trace_id, []).append(
            feedback
        )
        made.append(feedback)
    for group, items in by_group.items():
        store.save_assessments(group, items, replace=True)
    return [_label_of(f) for f in made]


def clear_label(
    trace_id: str, scorer: str, *, user: str | None = None, store: TraceStore | None = None
) -> bool:
    """Remove the user's labels of `trace_id` for `scorer`; False when there was none.

    Other users' labels stay (and one of them may then be the current label). Raises
    UnknownTraceError when the store has no such trace.
    """
    exporter.flush()
    store = store or tracking.get_store()
    group = store.group_of_trace(trace_id)
    if group is None:
        raise UnknownTraceError(trace_id, store.root)
    source = AssessmentSource(AssessmentSourceType.HUMAN, user or default_user())
    return store.remove_feedback(group, trace_id, scorer, source) > 0


def labels_of(
    assessments_by_trace: Mapping[str, Sequence[Assessment]],
) -> dict[str, dict[str, Label]]:
    """trace id -> scorer name -> the current label: among the trace's valid HUMAN feedback of
    that name, the one updated last (ties: the later in the list). Other assessments (scorer
    feedback, expectations, overridden feedback) are ignored; traces without labels left out.
    """
    found: dict[str, dict[str, Label]] = {}
    for trace_id, assessments in assessments_by_trace.items():
        current: dict[str, Feedback] = {}
        for item in assessments:
            if (
                not isinstance(item, Feedback)
                or item.source.source_type != AssessmentSourceType.HUMAN
                or item.valid is False
            ):
                continue
            held = current.get(item.name)
            if held is None or (item.last_update_time_ms or 0) >= (held.last_update_time_ms or 0):
                current[item.name] = item
        if current:
            found[trace_id] = {name: _label_of(f, trace_id) for name, f in current.items()}
    return found


def labels_in_store(store: TraceStore, groups: Iterable[str]) -> dict[str, dict[str, Label]]:
    """`labels_of` the groups' stored assessments; reads no trace file, and builds only
    people's feedback (not the scorers' results beside it)."""
    found: dict[str, dict[str, Label]] = {}
    for group in groups:
        found.update(labels_of(store.load_assessments(group, keep=_from_a_person)))
    return found


def _from_a_person(record: dict[str, Any]) -> bool:
    """A stored HUMAN feedback record: the only kind `labels_of` reads."""
    source = record.get("source")
    return (
        "feedback" in record
        and isinstance(source, dict)
        and source.get("source_type") == AssessmentSourceType.HUMAN
    )


def search_labels(
    run_id: str | None = None, scorer: str | None = None
) -> dict[str, dict[str, Label]]:
    """The current labels of the current experiment's traces (or of a run's: for a run that
    re-scored stored traces, those it scored), through the active tracking store; only
    `scorer`'s when given."""
    exporter.flush()
    store = tracking.get_store()
    if run_id is None:
        found = labels_in_store(store, store.groups(experiment_id=tracking.current_experiment_id()))
    else:
        traces = search_traces(run_id=run_id, return_type="list", include_spans=False)
        found = labels_of({t.info.trace_id: t.info.assessments for t in traces})
    if scorer is None:
        return found
    return {t: {scorer: by[scorer]} for t, by in found.items() if scorer in by}


def check_label(label: Label) -> None:
    """Raise ValueError for a label `set_labels` cannot store (its trace is not looked up)."""
    if not isinstance(label.trace_id, str) or not label.trace_id:
        raise ValueError(f"a label needs a trace id, got {label.trace_id!r}")
    if not isinstance(label.scorer, str) or not label.scorer:
        raise ValueError(f"a label needs a scorer name, got {label.scorer!r}")
    if not isinstance(label.source_id, str) or not label.source_id:
        raise ValueError(f"a label needs a user, got {label.source_id!r}")
    if label.note is not None and not isinstance(label.note, str):
        raise ValueError(f"a label's note must be text, got {type(label.note).__name__}")
    value = label.value
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"a label's value must be finite, got {value!r}")
        return
    raise ValueError(
        f"a label's value must be a bool, a number or a string, got {type(value).__name__}"
    )


def _label_of(feedback: Feedback, trace_id: str | None = None) -> Label:
    return Label(
        trace_id=trace_id or feedback.trace_id or "",
        scorer=feedback.name,
        value=feedback.value,
        note=feedback.rationale,
        source_id=feedback.source.source_id or "",
        time_ms=feedback.last_update_time_ms or 0,
        assessment_id=feedback.assessment_id,
    )


__all__ = [
    "Label",
    "UnknownTraceError",
    "check_label",
    "clear_label",
    "default_user",
    "labels_in_store",
    "labels_of",
    "search_labels",
    "set_label",
    "set_labels",
]
