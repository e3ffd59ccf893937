"""Pull Traces from MLflow, as the palette asks it: the experiments of an MLflow store for a
picker, then a pull that makes the pulled run the active trace set (issue: beyond one machine).

MLflow records into a sqlite store from its own process (fixtures/mlflow_app.py: its tracing and
OpenAI autolog against the loopback OpenAI server); the server pulls through
`python -m scorelens.mlflow_sync`, so MLflow is never imported into it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fixtures.mlflow_server import record_with_mlflow

from scorelens.lsp import protocol
from tests.lsp.conftest import Session


async def test_the_palette_pulls_an_experiment_into_the_active_trace_set(
    lsp: Session, tmp_path: Path
) -> None:
    await lsp.warm()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    trace_ids = record_with_mlflow(uri, ["support:3"], os.environ["OPENAI_BASE_URL"])["support"]

    listed = await lsp.request(protocol.mlflow_experiments, {"trackingUri": uri})
    (support,) = [e for e in listed["experiments"] if e["name"] == "support"]

    waiting = lsp.expect(protocol.status)
    pulled = await lsp.request(
        protocol.pull_from_mlflow, {"trackingUri": uri, "experimentId": support["id"]}
    )
    assert (pulled["newTraces"], pulled["totalTraces"]) == (3, 3)
    assert pulled["source"] == "mlflow support @ mlflow.db"
    status = await lsp.notified(waiting)
    assert status["traceSet"] == {"runId": pulled["runId"], "traceCount": 3}
    rows = await lsp.request(protocol.result_rows, {})
    assert sorted(r["traceId"] for r in rows["rows"]) == sorted(trace_ids)
    titles = await lsp.lenses("scorers.py")
    assert any("3 traces" in t for t in titles), titles

    # Again: nothing new, the same run.
    again = await lsp.request(
        protocol.pull_from_mlflow, {"trackingUri": uri, "experimentId": support["id"]}
    )
    assert (again["runId"], again["newTraces"], again["totalTraces"]) == (pulled["runId"], 0, 3)


async def test_an_unreachable_server_or_a_missing_store_is_one_clear_error(
    lsp: Session, tmp_path: Path
) -> None:
    await lsp.warm()
    with pytest.raises(Exception, match=r"mlflow\.db"):
        await lsp.request(
            protocol.mlflow_experiments, {"trackingUri": f"sqlite:///{tmp_path / 'mlflow.db'}"}
        )
    with pytest.raises(Exception, match=r"127\.0\.0\.1:9"):
        await lsp.request(protocol.mlflow_experiments, {"trackingUri": "http://127.0.0.1:9"})
