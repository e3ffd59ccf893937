"""Normalising what `evaluate(data=...)` accepts into one row type."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from scorelens.entities import Span, Trace
from scorelens.entities.trace import expectations_of
from scorelens.store import group_of
from scorelens.tracing.context import UNSERIALIZABLE_ATTRIBUTE
from scorelens.tracing.serialize import to_jsonable


@dataclass
class EvalRow:
    inputs: Any = None
    outputs: Any = None
    expectations: dict[str, Any] = field(default_factory=dict)
    trace: Trace | None = None
    has_outputs: bool = False


@dataclass(frozen=True, slots=True)
class ScoredTrace:
    """What an evaluation records of a trace it scored, besides the verdicts: where they are
    stored (the trace's group, on its root span) and the run that recorded the trace."""

    trace_id: str
    group: str
    run_id: str | None
    root_span_id: str | None

    @classmethod
    def of(cls, trace: Trace) -> ScoredTrace:
        root = trace.root_span
        return cls(
            trace.trace_id,
            group_of(trace),
            trace.info.run_id,
            None if root is None else root.span_id,
        )


class EvalDataError(ValueError):
    pass


_ROW_COLUMNS = ("inputs", "outputs", "expectations", "trace")


def to_rows(data: Any) -> list[EvalRow]:
    """Rows from a list of dicts or Traces, or a DataFrame (including one from search_traces)."""
    # A DataFrame exists only once pandas was imported: scorelens does not import it for this.
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        # Only the columns a row is made of: a search_traces frame has a dozen more (spans,
        # assessments, ...), and copying those out for every row would cost more than scoring.
        wanted = [c for c in _ROW_COLUMNS if c in data.columns]
        records: list[Any] = data[wanted].to_dict("records")
    elif isinstance(data, (list, tuple)):
        records = list(data)
    else:
        raise EvalDataError(
            "data must be a list of dicts, a list of Trace or a pandas DataFrame, "
            f"not {type(data).__name__}"
        )
    return [_row(record, number) for number, record in enumerate(records, start=1)]


def _row(record: Any, number: int) -> EvalRow:
    if isinstance(record, Trace):
        return EvalRow(
            inputs=record.inputs,
            outputs=record.outputs,
            expectations=expectations_of(record.info),
            trace=record,
            has_outputs=True,
        )
    if not isinstance(record, dict):
        raise EvalDataError(
            f"data row {number}: expected a dict or a Trace, got {type(record).__name__}"
        )
    trace = _as_trace(record.get("trace"), number)
    expectations = _missing_to_none(record.get("expectations"))
    if expectations is None:
        expectations = expectations_of(trace.info) if trace is not None else {}
    if not isinstance(expectations, dict):
        raise EvalDataError(
            f"data row {number}: 'expectations' must be a dict, got {type(expectations).__name__}"
        )
    if trace is not None:
        return EvalRow(trace.inputs, trace.outputs, expectations, trace, has_outputs=True)
    if "inputs" not in record:
        raise EvalDataError(f"data row {number}: needs 'inputs' (a dict of arguments) or 'trace'")
    outputs = _missing_to_none(record.get("outputs"))
    return EvalRow(
        inputs=record["inputs"],
        outputs=outputs,
        expectations=expectations,
        has_outputs="outputs" in record and outputs is not None,
    )


def _missing_to_none(value: Any) -> Any:
    # DataFrames fill absent cells with NaN.
    if isinstance(value, float) and value != value:
        return None
    return value


def _as_trace(value: Any, number: int) -> Trace | None:
    value = _missing_to_none(value)
    if value is None or isinstance(value, Trace):
        return value
    try:
        if isinstance(value, str):
            # search_traces' cells carry the Trace they were written from: no need to parse.
            carried = getattr(value, "trace", None)
            return carried if isinstance(carried, Trace) else Trace.from_json(value)
        if isinstance(value, dict):
            return Trace.from_dict(value)
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise EvalDataError(f"data row {number}: 'trace' is not a valid trace: {exc}") from None
    raise EvalDataError(f"data row {number}: 'trace' must be a Trace, got {type(value).__name__}")


def flag_unserializable(span: Span, where: str, paths: list[str]) -> None:
    """List in the span's `scorelens.unserializable` the parts of `where` stored as repr."""
    if paths:
        marks = span.attributes.setdefault(UNSERIALIZABLE_ATTRIBUTE, [])
        marks.extend(where + path[1:] for path in paths)


def stored_expectations(root: Span | None, expectations: dict[str, Any]) -> dict[str, Any]:
    """The expectations to store with a trace; scorers still get the row's own values.

    As given when JSON can encode them, which is what the store has always been handed; only
    what would make the store fail is stored as repr and flagged on the root span.
    """
    if not expectations:
        return expectations
    try:
        json.dumps(expectations)
        return expectations
    except (TypeError, ValueError, RecursionError):
        pass
    stored: dict[str, Any]
    stored, flagged = to_jsonable(expectations)
    if root is not None:
        flag_unserializable(root, "expectations", flagged)
    return stored
