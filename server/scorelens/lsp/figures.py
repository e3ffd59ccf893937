"""A scorer's summary as every view shows it: the lens, the panel header, scoresChanged.

Figures are O(traces) to compute and asked for by every lens, hover and publish, so they are
memoised in the results cache on the rows they come from.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from pygls.uris import from_fs_path

from scorelens.genai.aggregations import aggregate
from scorelens.judging import PriceTable
from scorelens.judging.usage import usage_of
from scorelens.lsp import summaries
from scorelens.lsp.discovery import ScorerDef
from scorelens.lsp.labels import LabelBook, compare
from scorelens.lsp.protocol import Aggregate, JudgeUsage, ScorerState, ScorerSummary
from scorelens.lsp.results_cache import ResultsCache
from scorelens.lsp.workspace_files import FileState
from scorelens.tracing.span_data import SpanData

Figures = tuple[int, int, "int | None", "int | None", list[Aggregate], "JudgeUsage | None"]


def version_key(workspace: str, path: str, name: str) -> str:
    """How a scorer is known across its versions: its file (relative) and its name."""
    return f"{os.path.relpath(path, workspace)}::{name}"


def summary(
    results: ResultsCache,
    state: FileState,
    scorer: ScorerDef,
    trace_ids: list[str],
    trace_generation: int,
    *,
    previous_hash: str | None,
    trusted: bool,
    prices: PriceTable,
    labels: LabelBook,
    dirty: bool = False,
    uri: str | None = None,
) -> ScorerSummary:
    if previous_hash is not None and not results.loaded(previous_hash):
        # Still being read at start: the figures come first, their deltas once it is read.
        previous_hash = None
    key = (
        id(prices),
        "figures",
        scorer.source_hash,
        results.version_of(scorer.source_hash),
        previous_hash,
        results.version_of(previous_hash),
        trace_generation,
        scorer.name,
        scorer.aggregations,
    )
    scored, errors, passed, failed, aggregates, judge = results.memo(
        key, lambda: _figures(results, scorer, trace_ids, trace_generation, previous_hash, prices)
    )
    # Apart from the figures: a label changes this, and nothing else.
    agreement = results.memo(
        (
            "agreement",
            scorer.source_hash,
            results.version_of(scorer.source_hash),
            previous_hash,
            results.version_of(previous_hash),
            labels.generation(),
            scorer.name,
        ),
        lambda: compare(
            results.rows(scorer.source_hash),
            results.rows(previous_hash) if previous_hash else None,
            trace_ids,
            scorer.name,
            labels,
        ),
    )
    message = state.failures.get(scorer.name)
    if state.import_error is not None:
        message = state.import_error["message"]
    status: ScorerState
    if not trusted:
        status = "untrusted"
        message = "workspace not trusted: scorers do not run"
    elif state.running:
        status = "running"
    elif message is not None:
        status = "error"
    elif scored:
        status = "scored"
    else:
        status = "unscored"
    return {
        "uri": uri or from_fs_path(state.path) or state.path,
        "name": scorer.name,
        "line": scorer.line,
        "hash": scorer.source_hash,
        "state": status,
        "scored": scored,
        "total": len(trace_ids),
        "errors": errors,
        "passed": passed,
        "failed": failed,
        # Copies: the memoised figures must not change with what a caller does to its summary.
        "aggregates": [
            {"name": a["name"], "value": a["value"], "previous": a["previous"]} for a in aggregates
        ],
        "message": message,
        "stale": dirty,
        "judge": None if judge is None else {**judge},
        "agreement": None
        if agreement is None
        else {**agreement, "disagreeing": list(agreement["disagreeing"])},
    }


def _figures(
    results: ResultsCache,
    scorer: ScorerDef,
    trace_ids: list[str],
    trace_generation: int,
    previous_hash: str | None,
    prices: PriceTable,
) -> Figures:
    # One walk over the rows: at 100,000 traces each walk costs a save tens of milliseconds.
    rows = results.rows(scorer.source_hash)
    scored = errors = 0
    current: list[Any] = []
    calls: list[SpanData] = []
    for trace_id in trace_ids:
        mine = rows.get(trace_id)
        if mine is None:
            continue
        scored += 1
        if len(mine) == 1:  # one Feedback: it is the scorer's primary one
            row = mine[0]
            if row["error"] is None:
                current.append(row["value"])
            elif row["error"]:
                errors += 1
            if "judge" in row:
                calls.extend(row["judge"])
            continue
        errors += any(r["error"] for r in mine)
        current.extend(summaries.values({trace_id: mine}, [trace_id], scorer.name))
        for row in mine:
            calls.extend(row.get("judge", ()))
    # Callable aggregations cannot be read from source; named ones can.
    names = list(scorer.aggregations) or ["mean"]
    previous = (
        results.memo(
            (
                "previous",
                previous_hash,
                results.version_of(previous_hash),
                trace_generation,
                scorer.name,
                scorer.aggregations,
            ),
            lambda: aggregate(
                summaries.values(results.rows(previous_hash), trace_ids, scorer.name), names
            ),
        )
        if previous_hash
        else {}
    )
    aggregates: list[Aggregate] = [
        {"name": n, "value": v, "previous": previous.get(n)}
        for n, v in aggregate(current, names).items()
    ]
    passed, failed = summaries.pass_fail(current)
    return scored, errors, passed, failed, aggregates, judge_usage(calls, prices)


def judge_usage(calls: Iterable[SpanData], prices: PriceTable) -> JudgeUsage | None:
    usage = usage_of(calls, prices)
    if usage is None:
        return None
    return {
        "calls": usage.calls,
        "newCalls": usage.new_calls,
        "tokens": usage.tokens,
        "costUsd": usage.cost_usd,
    }


def shown(summary: ScorerSummary | None) -> Any:
    """What a summary shows the user, to tell whether a run changed it."""
    if summary is None:
        return None
    return (
        summary["hash"],
        summary["scored"],
        summary["errors"],
        summary["passed"],
        summary["failed"],
        [(a["name"], a["value"]) for a in summary["aggregates"]],
        summary["message"],
    )
