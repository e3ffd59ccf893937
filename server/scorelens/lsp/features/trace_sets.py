"""Which traces scorers run on: list the stored runs, choose one, or generate new traces."""

from __future__ import annotations

import os

from pygls.uris import from_fs_path

from scorelens.lsp import protocol
from scorelens.lsp.server import ScoreLensServer, handles


@handles(protocol.list_runs)
def list_runs(ls: ScoreLensServer, params: object) -> protocol.ListRunsResult:
    active = ls.trace_set()  # resolves the default set before the runs are listed
    runs: list[protocol.RunInfo] = [
        {
            "runId": r["run_id"],
            "name": r["name"],
            "startTime": r["start_time"],
            "status": r["status"],
            "traceCount": r["trace_count"],
        }
        for r in ls.service.store.list_runs()
        if r["trace_count"] > 0
    ]
    return {"runs": runs, "active": active}


@handles(protocol.list_apps)
def list_apps(ls: ScoreLensServer, params: object) -> protocol.ListAppsResult:
    apps: list[protocol.AppInfo] = [
        {
            "uri": from_fs_path(state.path) or state.path,
            "name": app.name,
            "line": app.line,
            "reference": f"{os.path.relpath(state.path, ls.workspace_root)}:{app.name}",
        }
        for state, app in ls.service.files.apps()
    ]
    return {"apps": sorted(apps, key=lambda a: a["reference"])}


@handles(protocol.select_trace_set)
async def select_trace_set(
    ls: ScoreLensServer, params: protocol.SelectTraceSetParams
) -> protocol.TraceSet:
    ls.service.trace_set.select(params["runId"])
    await ls.scheduler.follow_trace_set()
    return ls.trace_set()


@handles(protocol.generate_traces)
async def generate_traces(
    ls: ScoreLensServer, params: protocol.GenerateTracesParams
) -> protocol.GenerateTracesResult:
    if not ls.settings.trusted:
        raise ValueError("the workspace is not trusted, so ScoreLens does not run its code")
    dataset = os.path.join(ls.workspace_root, params["dataset"])
    answer = await ls.scheduler.with_progress(
        "Generating traces",
        lambda report: ls.service.generate(dataset, params["app"], report),
    )
    # Whoever generates traces wants to see them, whatever set was chosen before.
    ls.service.trace_set.follow_latest()
    await ls.scheduler.follow_trace_set()
    return {
        "runId": answer["runId"],
        "traceCount": answer["traceCount"],
        "failed": answer["failed"],
    }
