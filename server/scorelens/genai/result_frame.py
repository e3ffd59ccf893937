"""`EvaluationResult.result_df`: one row per trace, laid out as MLflow lays it out.

MLflow builds it from the traces' assessments as stored: `trace_id`, then per assessment
`<name>/value`, `<name>/rationale` and `<name>/error_message` (the last two only where present,
so a column exists only when some row has one), then the columns of `search_traces`. Values read
back as protobuf gives them, so numbers are floats; a cell no row filled is NaN.

Expectations given as lists or dicts keep their value in `<name>/value` (MLflow reads those back
as None, losing them).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from scorelens.entities import Assessment, Feedback, Trace
from scorelens.genai.eval_data import EvalRow
from scorelens.genai.scorer_runs import Verdict
from scorelens.search import traces_frame
from scorelens.store.trace_store import kind_of

if TYPE_CHECKING:
    import pandas as pd


def result_frame(rows: list[EvalRow], verdicts: list[list[Verdict]]) -> pd.DataFrame:
    """The frame for these rows and what the scorers said (no rows: just the trace columns)."""
    import pandas as pd  # only when a frame is made: see search._frame

    traced = [
        (row.trace, [v.feedback for v in items], row.expectations)
        for row, items in zip(rows, verdicts, strict=True)
        if row.trace is not None
    ]
    traces = traces_frame([_as_now_stored(trace, feedback) for trace, feedback, _ in traced])
    if not traced:
        return traces
    assessed = pd.DataFrame(
        [_assessment_cells(feedback, expectations) for _, feedback, expectations in traced],
    )
    frame: pd.DataFrame = pd.concat(
        [traces[["trace_id"]], assessed, traces.drop(columns="trace_id")], axis=1
    )
    return frame


def _assessment_cells(feedback: list[Feedback], expectations: dict[str, Any]) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for item in feedback:
        cells[f"{item.name}/value"] = _as_read_back(item.value)
        if item.rationale is not None:
            cells[f"{item.name}/rationale"] = item.rationale
        message = item.error.error_message if item.error is not None else None
        if message:
            cells[f"{item.name}/error_message"] = message
    for name, value in (expectations or {}).items():
        cells[f"{name}/value"] = _as_read_back(value)
    return cells


def _as_read_back(value: Any) -> Any:
    """The value as MLflow reads it back from its store: every number (not bool) a float."""
    kind = type(value)
    if kind is int:
        return float(value)
    if kind is float or kind is bool or kind is str or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _as_read_back(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_read_back(v) for v in value]
    return value


def _as_now_stored(trace: Trace, feedback: list[Feedback]) -> Trace:
    """The trace as the store now holds it: this evaluation's Feedback replaced its namesakes
    from the same source, so a human's label of the same name stays, as it does in the store.

    A copy, as MLflow reads the trace back; the caller's Trace stays as it was.
    """
    replaced = {kind_of(f) for f in feedback}
    kept: list[Assessment] = [a for a in trace.info.assessments if kind_of(a) not in replaced]
    # A shallow copy of the info without running its __init__ again, which costs several
    # times more and is done for every row.
    info = copy.copy(trace.info)
    info.assessments = [*kept, *feedback]
    return Trace(info, trace.data)
