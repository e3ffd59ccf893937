"""A scorer's summary as every view shows it: the lens, the panel header, scoresChanged.

Figures are O(traces) to compute and asked for by every lens, hover and publish, so they are
memoised in the results cache on the rows they come from.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from pygls.uris import from_fs_path

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
        key, lambda: _figures(results, scorer, trace_ids, previous_hash, prices)
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
    previous_hash: str | None,
    prices: PriceTable,
) -> Figures:
    rows = results.rows(scorer.source_hash)
    scored_ids = [t for t in trace_ids if t in rows]
    errors = sum(1 for t in scored_ids if any(r["error"] for r in rows[t]))
    current = summaries.values(rows, scored_ids, scorer.name)
    previous = (
        summaries.values(results.rows(previous_hash), trace_ids, scorer.name)
        if previous_hash
        else None
    )
    # Callable aggregations cannot be read from source; named ones can.
    names = list(scorer.aggregations) or ["mean"]
    aggregates = summaries.aggregates(current, previous, names)
    passed, failed = summaries.pass_fail(current)
    judge = judge_usage(
        (c for t in scored_ids for r in rows[t] for c in r.get("judge", ())), prices
    )
    return len(scored_ids), errors, passed, failed, aggregates, judge


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
