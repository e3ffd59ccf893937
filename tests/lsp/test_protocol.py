"""Every custom request answers what the panel and commands need, in the declared shape."""

from __future__ import annotations

import json
from pathlib import Path

from scorelens.lsp import protocol
from tests.conftest import FIXTURES
from tests.lsp.conftest import SCORERS, Session, record_traces
from tests.protocol_shape import assert_conforms


async def test_runs_and_trace_set_selection(lsp: Session, openai_env: str) -> None:
    runs = await lsp.request(protocol.list_runs)
    assert_conforms(runs, protocol.ListRunsResult)
    (only,) = runs["runs"]
    assert_conforms(only, protocol.RunInfo)
    assert only["traceCount"] == 3
    assert runs["active"] == {"runId": only["runId"], "traceCount": 3}

    second = record_traces(lsp.root, "support.jsonl")
    runs = await lsp.request(protocol.list_runs)
    assert [r["runId"] for r in runs["runs"]] == [second, only["runId"]]
    assert runs["active"] == {"runId": second, "traceCount": 56}  # follows the latest run

    selected = await lsp.request(protocol.select_trace_set, {"runId": only["runId"]})
    assert selected == {"runId": only["runId"], "traceCount": 3}
    everything = await lsp.request(protocol.select_trace_set, {"runId": None})
    assert everything == {"runId": None, "traceCount": 59}
    lsp.open("scorers.py")
    # Scored on the new set right away (re-score on save is on), so the figures may be there,
    # or the run's figures so far on the 59.
    lens = (await lsp.lenses("scorers.py"))[0]
    assert "59 traces" in lens or "/59 · " in lens, lens


async def test_rescore_result_rows_and_trace(lsp: Session) -> None:
    lsp.open("scorers.py")
    uri = lsp.uri("scorers.py")
    waiting = lsp.expect()
    rescored = await lsp.request(protocol.rescore, {"uri": uri, "name": "response_length"})
    notified = await lsp.notified(waiting)
    assert_conforms(notified, protocol.ScoresChangedParams)
    assert [s["name"] for s in rescored["scorers"]] == ["response_length"]
    assert_conforms(rescored["scorers"][0], protocol.ScorerSummary)
    assert rescored["scorers"][0]["scored"] == 3

    await lsp.request(protocol.rescore, {"uri": uri})
    rows = await lsp.request(protocol.result_rows, {"offset": 0, "limit": 2})
    assert_conforms(rows, protocol.ResultRowsResult)
    assert rows["total"] == 3 and len(rows["rows"]) == 2
    assert [c["name"] for c in rows["columns"]] == [
        "response_length",
        "mentions_expected_facts",
        "llm_tokens",
        "is_polite",
    ]
    row = rows["rows"][0]
    assert_conforms(row, protocol.ResultRow)
    cell = row["cells"][f"{uri}#response_length"]
    assert_conforms(cell, protocol.Cell)

    page_two = await lsp.request(protocol.result_rows, {"offset": 2, "limit": 2})
    assert page_two["total"] == 3 and len(page_two["rows"]) == 1

    trace = await lsp.request(protocol.get_trace, {"traceId": row["traceId"]})
    assert_conforms(trace, protocol.GetTraceResult)
    spans = trace["trace"]["spans"]
    assert [s["span_type"] for s in spans] == ["UNKNOWN", "CHAT_MODEL"]
    # The cell holds what the scorer said about this very trace: the length of its answer.
    assert cell["value"] == len(spans[0]["outputs"])
    attributes = spans[1]["attributes"]
    assert attributes["model"] == "gpt-4o-mini"
    # The token usage sits under MLflow's "mlflow.chat.tokenUsage"; pygls's test client turns
    # JSON objects into namedtuples, renaming keys that are not identifiers, so look by value.
    usage = [v for v in attributes.values() if isinstance(v, dict) and "total_tokens" in v]
    assert len(usage) == 1 and usage[0]["total_tokens"] > 0


async def test_filters_show_failing_errors_and_changed_rows(lsp: Session) -> None:
    lsp.open("scorers.py")
    uri = lsp.uri("scorers.py")
    mixed = SCORERS + (
        "\n\n@scorer\ndef mentions_price(outputs: str) -> bool:\n    return '$' in outputs\n"
    )
    await lsp.save("scorers.py", mixed)
    price = [{"uri": uri, "name": "mentions_price"}]
    key = f"{uri}#mentions_price"  # a panel column: one scorer of one file
    failing = await lsp.request(protocol.result_rows, {"scorers": price, "filter": "failing"})
    assert failing["total"] == 2  # only the microwave answer mentions a price
    assert all(r["cells"][key]["value"] is False for r in failing["rows"])
    assert "mentions_price · 1/3 pass · 3 traces · 0 errors" in await lsp.lenses("scorers.py")
    no_errors = await lsp.request(protocol.result_rows, {"scorers": price, "filter": "errors"})
    assert no_errors["total"] == 0
    ranked = await lsp.request(
        protocol.result_rows, {"scorers": price, "sortBy": key, "descending": True}
    )
    assert [r["cells"][key]["value"] for r in ranked["rows"]] == [True, False, False]
    assert ranked["distributions"] == {
        key: [{"label": "pass", "count": 1}, {"label": "fail", "count": 2}]
    }

    edited = mixed.replace(
        "return '$' in outputs", "return '$' in outputs or 'password' in outputs"
    )
    await lsp.save("scorers.py", edited, 3)
    assert "mentions_price · 2/3 pass (▲1) · 3 traces · 0 errors" in await lsp.lenses("scorers.py")
    changed = await lsp.request(protocol.result_rows, {"scorers": price, "filter": "changed"})
    assert changed["total"] == 1
    cell = changed["rows"][0]["cells"][key]
    assert (cell["previous"], cell["value"], cell["changed"]) == (False, True, True)

    broken = edited.replace("return '$' in outputs or", "return 1 / 0 or")
    await lsp.save("scorers.py", broken, 4)
    errors = await lsp.request(protocol.result_rows, {"scorers": price, "filter": "errors"})
    assert errors["total"] == 3
    assert errors["rows"][0]["cells"][key]["error"] == "ZeroDivisionError: division by zero"


async def test_list_apps_and_generate_traces(lsp: Session) -> None:
    apps = await lsp.request(protocol.list_apps)
    assert_conforms(apps, protocol.ListAppsResult)
    (app,) = apps["apps"]
    assert_conforms(app, protocol.AppInfo)
    assert app["reference"] == "sample_app.py:sample_app"

    dataset = lsp.root / "data.json"
    dataset.write_text(
        json.dumps(json.loads((FIXTURES / "datasets" / "seed.json").read_text())[:2])
    )
    generated = await lsp.request(
        protocol.generate_traces, {"dataset": "data.json", "app": app["reference"]}
    )
    assert_conforms(generated, protocol.GenerateTracesResult)
    assert (generated["traceCount"], generated["failed"]) == (2, 0)
    runs = await lsp.request(protocol.list_runs)
    assert runs["active"] == {"runId": generated["runId"], "traceCount": 2}


async def test_clear_results(lsp: Session, workspace: Path) -> None:
    lsp.open("scorers.py")
    await lsp.save("scorers.py", SCORERS)
    cleared = await lsp.request(protocol.clear_results)
    assert cleared["cleared"] == 4
    assert await lsp.lenses("scorers.py") == ["▶ Score 3 traces"] * 4 + [
        "▶ Score all 4 scorers of this file"
    ]
    assert not (workspace / ".scorelens" / "results").exists()
    # Traces are untouched.
    assert (await lsp.request(protocol.list_runs))["active"]["traceCount"] == 3


async def test_hover_shows_distribution_errors_and_slowest(lsp: Session) -> None:
    from lsprotocol import types

    uri = lsp.open("scorers.py")
    await lsp.save("scorers.py", SCORERS)
    line = SCORERS.splitlines().index("def response_length(outputs: str) -> int:")
    hover = await lsp.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=6),
        )
    )
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert text.startswith("**response_length** on 3 traces")
    assert "median" in text and "**Slowest trace**: `tr-" in text
