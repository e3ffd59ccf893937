"""MlflowClient's search_traces (pages of a PagedList) and get_trace, as MLflow 3.17.2 has them.

Sources: mlflow/tracking/client.py (MlflowClient.__init__, get_trace, search_traces),
mlflow/tracing/client.py (TracingClient.search_traces) and mlflow/store/entities/paged_list.py
in the 3.17.2 site-packages. The behaviours marked "MLflow:" were checked by running the same
calls on MLflow 3.17.2 with a sqlite store; the rest are ScoreLens's own (its page token).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import scorelens as mlflow
from scorelens.client import MlflowClient
from scorelens.entities import Trace
from scorelens.paged_list import PagedList


@mlflow.trace
def answer(i: int, fail: bool = False) -> int:
    if fail:
        raise ValueError("no answer")
    return i


def _record(count: int, failing: frozenset[int] = frozenset()) -> None:
    for i in range(count):
        if i in failing:
            with pytest.raises(ValueError):
                answer(i, fail=True)
        else:
            answer(i)


def _ids(traces: list[Trace]) -> list[str]:
    return [t.info.trace_id for t in traces]


def _all_pages(client: MlflowClient, max_results: int, **query: object) -> list[list[Trace]]:
    pages: list[list[Trace]] = []
    token = None
    while True:
        page = client.search_traces(max_results=max_results, page_token=token, **query)  # type: ignore[arg-type]
        pages.append(page)
        token = page.token
        if token is None:
            return pages
        assert len(pages) < 100, "paging never ended"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"order_by": ["timestamp_ms ASC"]},
        {"filter_string": "status = 'OK'", "order_by": ["request_id DESC"]},
    ],
)
def test_pages_give_every_trace_once_in_the_order_of_one_search(
    store_dir: Path, query: dict[str, object]
) -> None:
    experiment_id = mlflow.set_experiment("paging")
    _record(11, failing=frozenset({2, 5}))
    client = MlflowClient()

    whole = client.search_traces(locations=[experiment_id], **query)  # type: ignore[arg-type]
    pages = _all_pages(client, 3, locations=[experiment_id], **query)

    expected = 11 if "filter_string" not in query else 9
    assert len(whole) == expected
    assert whole.token is None
    assert [len(p) for p in pages] == [3] * (expected // 3) + (
        [expected % 3] if expected % 3 else []
    )
    assert _ids([t for p in pages for t in p]) == _ids(whole)


def test_a_full_last_page_has_no_token(store_dir: Path) -> None:
    # MLflow's SQL store returns a token for any full page, then an empty page; knowing the
    # total, ScoreLens ends on the full page.
    experiment_id = mlflow.set_experiment("paging")
    _record(6)
    pages = _all_pages(MlflowClient(), 3, locations=[experiment_id])
    assert [len(p) for p in pages] == [3, 3]


def test_a_page_is_a_paged_list_of_traces(store_dir: Path) -> None:
    experiment_id = mlflow.set_experiment("paging")
    _record(3)
    page = MlflowClient().search_traces(locations=[experiment_id], max_results=2)
    assert isinstance(page, PagedList)
    assert isinstance(page, list)
    assert all(isinstance(t, Trace) for t in page)
    assert page.token is not None
    assert page.to_list() == list(page)
    assert type(page.to_list()) is list


def test_page_size_may_change_between_pages(store_dir: Path) -> None:
    experiment_id = mlflow.set_experiment("paging")
    _record(5)
    client = MlflowClient()
    whole = client.search_traces(locations=[experiment_id])
    first = client.search_traces(locations=[experiment_id], max_results=1)
    rest = client.search_traces(locations=[experiment_id], max_results=10, page_token=first.token)
    assert rest.token is None
    assert _ids(first) + _ids(rest) == _ids(whole)


@pytest.mark.parametrize(
    "other",
    [
        {"filter_string": "status = 'ERROR'"},
        {"order_by": ["timestamp_ms ASC"]},
        {"locations": ["0"]},
        {"model_id": "m-1"},
    ],
)
def test_a_token_from_another_search_is_refused(store_dir: Path, other: dict[str, object]) -> None:
    experiment_id = mlflow.set_experiment("paging")
    _record(4)
    client = MlflowClient()
    token = client.search_traces(locations=[experiment_id], max_results=2).token
    assert token is not None
    query: dict[str, object] = {"locations": [experiment_id], **other}
    with pytest.raises(ValueError, match="page token belongs to a different search"):
        client.search_traces(max_results=2, page_token=token, **query)  # type: ignore[arg-type]


def test_a_token_from_another_store_is_refused(store_dir: Path, tmp_path: Path) -> None:
    experiment_id = mlflow.set_experiment("paging")
    _record(4)
    token = MlflowClient().search_traces(locations=[experiment_id], max_results=2).token
    other = MlflowClient(tracking_uri=str(tmp_path / "other"))
    with pytest.raises(ValueError, match="different search"):
        other.search_traces(locations=[experiment_id], max_results=2, page_token=token)


@pytest.mark.parametrize(
    "token",
    [
        "garbage!",  # MLflow: "Invalid page token, could not base64-decode"
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps({"offset": 2}).encode()).decode(),  # MLflow's own
        base64.urlsafe_b64encode(json.dumps([1, 2]).encode()).decode(),
    ],
)
def test_a_token_not_made_by_search_traces_is_refused(store_dir: Path, token: str) -> None:
    _record(2)
    with pytest.raises(ValueError, match="Invalid page token"):
        MlflowClient().search_traces(page_token=token)


def test_an_empty_token_is_the_first_page(store_dir: Path) -> None:
    # MLflow: page_token="" searches from the start.
    _record(3)
    client = MlflowClient()
    assert _ids(client.search_traces(page_token="")) == _ids(client.search_traces())


def test_max_results_bounds_the_page(store_dir: Path) -> None:
    experiment_id = mlflow.set_experiment("paging")
    _record(5)
    client = MlflowClient()
    # MLflow: 100 by default; 0 or less gives an empty page with no token.
    assert len(client.search_traces(locations=[experiment_id])) == 5
    assert len(client.search_traces(locations=[experiment_id], max_results=5)) == 5
    for nothing in (0, -1):
        page = client.search_traces(locations=[experiment_id], max_results=nothing)
        assert page == []
        assert page.token is None
    assert len(client.search_traces(locations=[experiment_id], max_results=50000)) == 5
    # MLflow's message for more than its SQL store's bound.
    with pytest.raises(ValueError, match="Invalid value 50001 for parameter 'max_results'"):
        client.search_traces(locations=[experiment_id], max_results=50001)


def test_default_max_results_is_100(store_dir: Path) -> None:
    _record(101)
    client = MlflowClient()
    first = client.search_traces()
    assert len(first) == 100
    assert len(client.search_traces(page_token=first.token)) == 1


def test_without_locations_every_experiment_is_searched(store_dir: Path) -> None:
    # MLflow: the client (unlike mlflow.search_traces) searches the whole store, not the
    # current experiment.
    _record(2)
    mlflow.set_experiment("other")
    _record(3)
    assert len(MlflowClient().search_traces()) == 5
    assert len(MlflowClient().search_traces(locations=["0"])) == 2


def test_arguments_are_checked_as_in_mlflow(store_dir: Path) -> None:
    _record(1)
    client = MlflowClient()
    with pytest.warns(FutureWarning, match="'experiment_ids' is deprecated"):
        assert len(client.search_traces(experiment_ids=["0"])) == 1
    with (
        pytest.raises(ValueError, match="Cannot specify both 'experiment_ids'"),
        pytest.warns(FutureWarning),
    ):
        client.search_traces(experiment_ids=["0"], locations=["0"])
    with pytest.raises(ValueError, match=r"locations must be a list, got str\. Did you mean"):
        client.search_traces(locations="0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Cannot specify both `model_id` or `filter_string`"):
        client.search_traces(model_id="m-1", filter_string="status = 'OK'")
    with pytest.raises(ValueError, match="Run with id=nope not found"):
        client.search_traces(run_id="nope")
    with pytest.raises(ValueError):
        client.search_traces(filter_string="status ==== 'OK'")


def test_run_id_and_model_id_narrow_the_search(store_dir: Path) -> None:
    @mlflow.genai.scorer
    def positive(outputs: int) -> bool:
        return outputs > 0

    run = mlflow.genai.evaluate(
        data=[{"inputs": {"i": 1}}, {"inputs": {"i": 2}}], predict_fn=answer, scorers=[positive]
    )
    answer(3)
    model = mlflow.set_active_model(name="m")
    answer(4)
    mlflow.clear_active_model()
    client = MlflowClient()

    in_run = client.search_traces(run_id=run.run_id, max_results=1)
    rest = client.search_traces(run_id=run.run_id, page_token=in_run.token)
    assert sorted(t.data.spans[0].inputs["i"] for t in [*in_run, *rest]) == [1, 2]
    with pytest.raises(ValueError, match=f"Run {run.run_id} belongs to experiment"):
        client.search_traces(run_id=run.run_id, locations=["42"])
    with pytest.raises(ValueError, match="You cannot filter by run_id"):
        client.search_traces(run_id=run.run_id, filter_string="metadata.mlflow.sourceRun = '1'")

    by_model = client.search_traces(model_id=model.model_id)
    assert [t.data.spans[0].inputs["i"] for t in by_model] == [4]


def test_include_spans_false_gives_traces_without_spans(store_dir: Path) -> None:
    _record(2)
    client = MlflowClient()
    with_spans = client.search_traces()
    without = client.search_traces(include_spans=False)
    assert all(len(t.data.spans) == 1 for t in with_spans)
    assert [len(t.data.spans) for t in without] == [0, 0]
    assert _ids(without) == _ids(with_spans)


def test_get_trace(store_dir: Path) -> None:
    _record(1)
    client = MlflowClient()
    (found,) = client.search_traces()
    trace = client.get_trace(found.info.trace_id)
    assert trace.info.trace_id == found.info.trace_id
    assert trace.data.spans[0].outputs == 0
    # MLflow raises MlflowException with this message.
    with pytest.raises(ValueError, match=r"Trace with ID 'tr-nope' not found\."):
        client.get_trace("tr-nope")


def test_tracking_uri_points_the_client_elsewhere(store_dir: Path, tmp_path: Path) -> None:
    _record(2)
    other_root = tmp_path / "other"
    mlflow.set_tracking_uri(other_root)
    _record(1)
    mlflow.set_tracking_uri(store_dir)

    # MLflow: the client reads its own store; the process's stays where it was.
    other = MlflowClient(tracking_uri=f"file://{other_root}")
    assert other.tracking_uri == str(other_root)
    assert len(other.search_traces()) == 1
    assert mlflow.get_tracking_uri() == str(store_dir)
    assert len(MlflowClient().search_traces()) == 2

    # MLflow: a client made before set_tracking_uri stays on the store it was made for.
    here = MlflowClient()
    mlflow.set_tracking_uri(other_root)
    assert len(here.search_traces()) == 2
    assert here.registry_uri == str(store_dir)
