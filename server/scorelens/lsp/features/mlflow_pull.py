"""Traces from an MLflow tracking server into the workspace's store, from the palette: list the
server's experiments for a picker, pull one, and make the pulled run the active trace set."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from scorelens.lsp import mlflow_process, protocol
from scorelens.lsp.server import ScoreLensServer, handles
from scorelens.worker.messages import Progress


def _python(ls: ScoreLensServer) -> str:
    # The interpreter the user chose for their code is the one with their MLflow installed.
    return ls.settings.worker_python or sys.executable


@handles(protocol.mlflow_experiments)
async def mlflow_experiments(
    ls: ScoreLensServer, params: protocol.MlflowExperimentsParams
) -> protocol.MlflowExperimentsResult:
    answer = await mlflow_process.run(
        _python(ls), ["experiments", "--tracking-uri", params["trackingUri"]], ls.workspace_root
    )
    return {
        "experiments": [{"id": str(e["id"]), "name": str(e["name"])} for e in answer["experiments"]]
    }


@handles(protocol.pull_from_mlflow)
async def pull_from_mlflow(
    ls: ScoreLensServer, params: protocol.PullFromMlflowParams
) -> protocol.PullFromMlflowResult:
    args = [
        "pull",
        "--tracking-uri",
        params["trackingUri"],
        "--experiment-id",
        params["experimentId"],
        "--store",
        ls.service.store.root,
    ]

    async def pull(report: Callable[[Progress], None]) -> dict[str, Any]:
        def progress(done: int, total: int) -> None:
            report({"id": 0, "kind": "progress", "done": done, "total": total, "scorer": None})

        return await mlflow_process.run(_python(ls), args, ls.workspace_root, progress)

    answer = await ls.scheduler.with_progress("Pulling traces from MLflow", pull)
    # Whoever pulls traces wants to see them: the pulled run becomes the active set.
    ls.service.trace_set.select(str(answer["runId"]))
    await ls.scheduler.follow_trace_set()
    return {
        "runId": str(answer["runId"]),
        "newTraces": int(answer["newTraces"]),
        "totalTraces": int(answer["totalTraces"]),
        "source": str(answer["source"]),
    }
