"""Scorer results on request: score again, the panel's rows, one trace, forget them all."""

from __future__ import annotations

import os
from typing import cast

from pygls.uris import from_fs_path, to_fs_path

from scorelens.judging import JudgeCache
from scorelens.judging.usage import judge_spans
from scorelens.lsp import panel, protocol
from scorelens.lsp.labels import label_data
from scorelens.lsp.server import ScoreLensServer, handles


@handles(protocol.rescore)
async def rescore(ls: ScoreLensServer, params: protocol.RescoreParams) -> protocol.RescoreResult:
    names = [params["name"]] if params.get("name") else None
    uri = params.get("uri")
    if uri:
        path = os.path.abspath(to_fs_path(uri) or uri)
        await ls.scheduler.score_file(path, names=names, force=True)
        paths = [path]
    else:
        paths = [r.path for r in await ls.scheduler.score_everything(force=True)]
    out: list[protocol.ScorerSummary] = []
    for path in paths:
        state = ls.service.files.get(path)
        if state is not None:
            out.extend(
                s for s in ls.service.summaries(state) if names is None or s["name"] in names
            )
    return {"scorers": out}


@handles(protocol.result_rows)
def result_rows(
    ls: ScoreLensServer, params: protocol.ResultRowsParams
) -> protocol.ResultRowsResult:
    service = ls.service
    wanted = params.get("scorers")
    columns = []
    for state in service.files.scorer_files():
        uri = from_fs_path(state.path) or state.path
        for scorer in state.scan.scorers:
            if wanted is not None and {"uri": uri, "name": scorer.name} not in wanted:
                continue
            previous = service.previous_hash(state, scorer)
            columns.append(
                (
                    service.summary(state, scorer, state.path in ls.dirty),
                    service.rows_for(scorer),
                    service.results.rows(previous) if previous else None,
                )
            )
    offset = max(0, params.get("offset", 0))
    total, rows = panel.result_rows(
        service.trace_set.trace_ids(),
        service.trace_set.summaries,
        columns,
        service.labels,
        offset,
        params.get("limit", 100),
        params.get("filter", "all"),
        params.get("sortBy"),
        params.get("descending", False),
    )
    return {
        "total": total,
        "offset": offset,
        "rows": rows,
        "columns": [c[0] for c in columns],
        "distributions": panel.distributions(service.trace_set.trace_ids(), columns),
    }


@handles(protocol.get_trace)
def get_trace(ls: ScoreLensServer, params: protocol.GetTraceParams) -> protocol.GetTraceResult:
    trace = ls.service.trace_set.find(params["traceId"])
    if trace is None:
        raise ValueError(f"no trace {params['traceId']} in {ls.service.store.root}")
    # Trace.to_dict() writes MLflow's trace JSON, which TraceData declares key for key.
    return {"trace": cast(protocol.TraceData, trace.to_dict())}


@handles(protocol.trace_results)
def trace_results(
    ls: ScoreLensServer, params: protocol.TraceResultsParams
) -> protocol.TraceResultsResult:
    trace_id = params["traceId"]
    found: list[protocol.ScorerResult] = []
    for state in ls.service.files.scorer_files():
        uri = from_fs_path(state.path) or state.path
        for scorer in state.scan.scorers:
            rows = ls.service.rows_for(scorer).get(trace_id)
            if not rows:
                continue
            labels = ls.service.labels
            for position, row in enumerate(rows):
                name = row["name"] if len(rows) > 1 else scorer.name
                found.append(
                    {
                        "uri": uri,
                        "name": name,
                        "feedbackName": row["name"],
                        "value": row["value"],
                        "rationale": row["rationale"],
                        "error": row["error"],
                        "durationMs": row.get("durationMs") if position == 0 else None,
                        "judge": judge_spans(row.get("judge", [])),
                        "label": label_data(labels.for_scorer(row["name"]).get(trace_id)),
                    }
                )
    return {"results": found}


@handles(protocol.clear_judge_cache)
def clear_judge_cache(ls: ScoreLensServer, params: object) -> protocol.ClearJudgeCacheResult:
    # Results stay: they were made with those answers, and stay right for their version.
    return {"cleared": JudgeCache(ls.service.store.root).clear()}


@handles(protocol.clear_results)
async def clear_results(ls: ScoreLensServer, params: object) -> protocol.ClearResultsResult:
    await ls.service.results.flush()  # a write under way would bring results back
    cleared = ls.service.clear()
    ls.publish_all()
    ls.refresh_lenses()
    # Results are gone, not traces, so nothing is scored again: that would undo the clear.
    ls.send_status("ready", f"cleared the results of {cleared} scorer versions")
    return {"cleared": cleared}
