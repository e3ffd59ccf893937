"""The "Search Traces" and "Query Traces via SDK" examples not in test_search_filter.py.

Sources:
  https://mlflow.org/docs/latest/genai/tracing/search-traces
    (docs/docs/genai/tracing/search-traces.mdx in mlflow/mlflow): "Pagination" (Python tab)
  https://mlflow.org/docs/latest/genai/tracing/observe-with-traces/query-via-sdk
    (.../observe-with-traces/query-via-sdk.mdx): "Finding and Analyzing Errors" and
    "Error Handling" (safe_trace_query)
Each snippet is verbatim but for the imports. The pages give no traces, so `traces` below makes
four in experiment "1" (the first one created, as in MLflow): one OK and three errors, two of
them tagged user_id "u1". Expected output is what MLflow 3.17.2 prints for the same traces
(sqlite store).
"""

# MLflow's examples define untyped functions; they are kept as written.
# mypy: disable-error-code="no-untyped-def, no-untyped-call, attr-defined, var-annotated"
# mypy: disable-error-code="arg-type"
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import scorelens as mlflow

pytestmark = pytest.mark.filterwarnings(
    "ignore:Parameter 'experiment_ids' is deprecated:FutureWarning"
)


@mlflow.trace
def answer(question, user_id=None, fail=False):
    if user_id:
        mlflow.update_current_trace(tags={"user_id": user_id})
    if fail:
        raise ValueError("no answer")
    return "ok"


@pytest.fixture
def traces(store_dir: Path) -> None:
    mlflow.set_experiment("docs")
    answer("q1", user_id="u1")
    for user_id in ["u1", "u1", None]:
        with pytest.raises(ValueError):
            answer("q2", user_id=user_id, fail=True)


def test_finding_and_analyzing_errors(traces: None, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime, timedelta

    # Get errors from the last 24 hours
    yesterday = datetime.now() - timedelta(days=1)
    timestamp_ms = int(yesterday.timestamp() * 1000)

    error_traces = mlflow.search_traces(
        experiment_ids=["1"],
        filter_string=f"status = 'ERROR' AND timestamp_ms > {timestamp_ms}",
        order_by=["timestamp_ms DESC"],
    )

    print(f"Found {len(error_traces)} errors in the last 24 hours")

    # Look at error distribution by tags
    if not error_traces.empty:  # noqa: SIM102
        # Count errors by user if user tags exist
        if "tags" in error_traces.columns:
            print("\nError patterns:")
            tag_analysis = {}
            for tags in error_traces["tags"].dropna():
                if isinstance(tags, dict):
                    user = tags.get("user_id", "unknown")
                    tag_analysis[user] = tag_analysis.get(user, 0) + 1

            for user, count in sorted(tag_analysis.items(), key=lambda x: x[1], reverse=True)[:5]:
                print(f"  {user}: {count} errors")

    assert capsys.readouterr().out == (
        "Found 3 errors in the last 24 hours\n"
        "\nError patterns:\n"
        "  u1: 2 errors\n"
        "  unknown: 1 errors\n"
    )


def test_error_handling(traces: None, capsys: pytest.CaptureFixture[str]) -> None:
    def safe_trace_query(experiment_ids, filter_string=None):
        """Query traces with basic error handling"""
        try:
            return mlflow.search_traces(experiment_ids=experiment_ids, filter_string=filter_string)
        except Exception as e:
            print(f"Error querying traces: {e}")
            return pd.DataFrame()  # Return empty DataFrame on error

    # Usage
    traces = safe_trace_query(["1"], "status = 'ERROR'")
    if not traces.empty:
        print(f"Found {len(traces)} traces")
    else:
        print("No traces found or query failed")

    assert capsys.readouterr().out == "Found 3 traces\n"


def test_pagination(traces: None, capsys: pytest.CaptureFixture[str]) -> None:
    from scorelens import MlflowClient

    client = MlflowClient()
    page_token = None
    all_traces = []

    while True:
        results = client.search_traces(
            experiment_ids=["1"],
            filter_string="status = 'OK'",
            max_results=100,
            page_token=page_token,
        )

        all_traces.extend(results)

        if not results.token:
            break
        page_token = results.token

    print(f"Found {len(all_traces)} total traces")

    assert capsys.readouterr().out == "Found 1 total traces\n"
