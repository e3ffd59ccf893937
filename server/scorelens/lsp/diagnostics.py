"""Problems with scorers, placed on the line the user has to change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from lsprotocol import types

from scorelens.genai.scorers.base import unknown_parameter_message
from scorelens.lsp.discovery import ScorerDef
from scorelens.lsp.summaries import Rows
from scorelens.lsp.workspace_files import FileState

SOURCE = "scorelens"


def _range(line: int, start: int = 0, end: int | None = None) -> types.Range:
    return types.Range(
        start=types.Position(line=line, character=start),
        end=types.Position(line=line, character=end if end is not None else start + 10_000),
    )


def _error(line: int, message: str, start: int = 0, end: int | None = None) -> types.Diagnostic:
    return types.Diagnostic(
        range=_range(line, start, end),
        message=message,
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )


# (line, exception type) -> (the first trace's message, how many traces, the first's id)
Failing = dict[tuple[int, str], tuple[str, int, str]]


def for_file(
    state: FileState, failing_of: Callable[[ScorerDef], Failing], total: int
) -> list[types.Diagnostic]:
    """Diagnostics for one file; `failing_of` gives a scorer's `failing` on the `total`
    active traces (memoised by the caller: it walks every trace's rows)."""
    scan = state.scan
    if scan.syntax_error is not None:
        line, column, message = scan.syntax_error
        return [_error(line, message, column, column + 1)]
    if state.import_error is not None:
        line = (state.import_error["line"] or 1) - 1
        return [_error(line, f"importing this file failed: {state.import_error['message']}")]
    out: list[types.Diagnostic] = []
    for scorer in scan.scorers:
        out.extend(_for_scorer(scorer, state, failing_of, total))
    return out


_RATE_LIMITED = "RateLimitError"  # the openai SDK's exception for a 429 it gave up retrying


def _for_scorer(
    scorer: ScorerDef, state: FileState, failing_of: Callable[[ScorerDef], Failing], total: int
) -> list[types.Diagnostic]:
    out: list[types.Diagnostic] = []
    for parameter in scorer.unknown_parameters():
        out.append(
            _error(
                parameter.line,
                unknown_parameter_message(scorer.name, parameter.name),
                parameter.column,
                parameter.column + len(parameter.name),
            )
        )
    failure = state.failures.get(scorer.name)
    if failure is not None:
        out.append(_error(scorer.line, failure))
    if out:
        return out
    for key, (message, count, first) in failing_of(scorer).items():
        if key[1] == _RATE_LIMITED:
            # Said once for the run, in the model's terms, not once per trace.
            text = (
                f"rate limited: {count:,} of {total:,} traces (the model kept answering "
                f"429 through the openai SDK's retries; e.g. {first})"
            )
        else:
            text = f"{message} — fails on {count} of {total} traces (e.g. {first})"
        out.append(_error(key[0], text))
    return out


def failing(scorer: ScorerDef, rows: Rows, trace_ids: list[str]) -> Failing:
    """The traces the scorer raised on (or returned a wrong type for), grouped by line and
    exception type; the first trace's message speaks for its group."""
    groups: dict[tuple[int, str], list[str]] = defaultdict(list)
    first_message: dict[tuple[int, str], str] = {}
    for trace_id in trace_ids:
        for row in rows.get(trace_id, []):
            kind = row.get("errorKind")
            if not row["error"] or kind not in ("exception", "return_type"):
                continue
            line = scorer.line
            if kind == "exception" and row.get("errorLine"):
                candidate = row["errorLine"] - 1
                if scorer.decorator_line <= candidate <= scorer.end_line:
                    line = candidate
            key = (line, row["error"].split(":", 1)[0])
            groups[key].append(trace_id)
            first_message.setdefault(key, row["error"])
            break
    return {key: (first_message[key], len(found), found[0]) for key, found in groups.items()}
