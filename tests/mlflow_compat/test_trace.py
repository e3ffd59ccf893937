"""The shape of a Trace as MLflow code reads it: trace.info, trace.data, search_spans, from_json.

Sources:
  mlflow/entities/trace.py (MLflow 3.17.2 site-packages), Trace.search_spans docstring example,
    kept verbatim but for its imports; its documented output for search 3 ("[Span(name='run',
    ...)]") is not what MLflow 3.17.2 returns, which is [] - the value used here.
  https://mlflow.org/docs/latest/genai/tracing/observe-with-traces/access-trace-data (TraceInfo
    and TraceData properties: trace_id, state, request_time, execution_duration, trace_metadata,
    tags, token_usage, assessments; data.spans, data.request, data.response).
  MLFLOW_TRACE below is `mlflow.get_trace(...).to_dict()` of a trace MLflow 3.17.2 recorded
    (two spans and one logged Feedback; metadata and tags trimmed).
Expected values were checked by running the same code on MLflow 3.17.2.
"""

# MLflow's examples use get_trace's and get_last_active_trace_id's results unchecked (both
# may be None); its code is kept as written.
# mypy: disable-error-code="union-attr, arg-type"
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import scorelens as mlflow
from scorelens.entities import Feedback, SpanType, Trace, TraceState

MLFLOW_TRACE: dict[str, Any] = {
    "info": {
        "trace_id": "tr-481305d2430eaeeabf7ce9a74b57ba74",
        "trace_location": {
            "type": "MLFLOW_EXPERIMENT",
            "mlflow_experiment": {"experiment_id": "0"},
        },
        "request_time": "2026-11-30T02:42:35.907Z",
        "state": "OK",
        "trace_metadata": {
            "mlflow.traceOutputs": '"PARIS"',
            "mlflow.traceInputs": '{"question": "capital of France?"}',
            "mlflow.trace_schema.version": "3",
        },
        "assessments": [
            {
                "assessment_id": "a-e7a647cfb63c4e03978b5eae0dd6e9a3",
                "assessment_name": "correct",
                "trace_id": "tr-481305d2430eaeeabf7ce9a74b57ba74",
                "source": {"source_type": "CODE", "source_id": "default"},
                "create_time": "2026-11-30T02:42:35.965Z",
                "last_update_time": "2026-11-30T02:42:35.965Z",
                "feedback": {"value": True},
                "valid": True,
            }
        ],
        "tags": {"mlflow.traceName": "answer"},
        "request_preview": '{"question": "capital of France?"}',
        "response_preview": '"PARIS"',
        "execution_duration_ms": 36,
    },
    "data": {
        "spans": [
            {
                "trace_id": "SBMF0kMOruq/fOmnS1e6dA==",
                "span_id": "U0YJDsb4A7M=",
                "parent_span_id": None,
                "name": "answer",
                "start_time_unix_nano": 1796006555907962183,
                "end_time_unix_nano": 1796006555944941435,
                "events": [],
                "status": {"code": "STATUS_CODE_OK", "message": ""},
                "attributes": {
                    "mlflow.traceRequestId": '"tr-481305d2430eaeeabf7ce9a74b57ba74"',
                    "mlflow.spanType": '"CHAIN"',
                    "mlflow.spanInputs": '{"question": "capital of France?"}',
                    "mlflow.spanOutputs": '"PARIS"',
                    "mlflow.spanLogLevel": "10",
                },
                "links": [],
            },
            {
                "trace_id": "SBMF0kMOruq/fOmnS1e6dA==",
                "span_id": "RiqTSo2vDts=",
                "parent_span_id": "U0YJDsb4A7M=",
                "name": "lookup",
                "start_time_unix_nano": 1796006555930614876,
                "end_time_unix_nano": 1796006555930816978,
                "events": [],
                "status": {"code": "STATUS_CODE_OK", "message": ""},
                "attributes": {
                    "mlflow.traceRequestId": '"tr-481305d2430eaeeabf7ce9a74b57ba74"',
                    "mlflow.spanType": '"RETRIEVER"',
                    "mlflow.spanInputs": '{"question": "capital of France?"}',
                    "mlflow.spanOutputs": '"paris"',
                    "mlflow.spanLogLevel": "20",
                },
                "links": [],
            },
        ]
    },
}


def test_search_spans_docstring_example(store_dir: Path) -> None:
    from scorelens.entities import SpanType

    @mlflow.trace(span_type=SpanType.CHAIN)
    def run(x: int) -> int:
        x = add_one(x)
        x = add_two(x)
        x = multiply_by_two(x)
        return x

    @mlflow.trace(span_type=SpanType.TOOL)
    def add_one(x: int) -> int:
        return x + 1

    @mlflow.trace(span_type=SpanType.TOOL)
    def add_two(x: int) -> int:
        return x + 2

    @mlflow.trace(span_type=SpanType.TOOL)
    def multiply_by_two(x: int) -> int:
        return x * 2

    # Run the function and get the trace
    y = run(2)
    trace_id = mlflow.get_last_active_trace_id()
    trace = mlflow.get_trace(trace_id)

    # 1. Search spans by name (exact match)
    spans = trace.search_spans(name="add_one")
    print(spans)
    # Output: [Span(name='add_one', ...)]
    assert [s.name for s in spans] == ["add_one"]

    # 2. Search spans by name (regular expression)
    pattern = re.compile(r"add.*")
    spans = trace.search_spans(name=pattern)
    print(spans)
    # Output: [Span(name='add_one', ...), Span(name='add_two', ...)]
    assert [s.name for s in spans] == ["add_one", "add_two"]

    # 3. Search spans by type
    spans = trace.search_spans(span_type=SpanType.LLM)
    print(spans)
    assert spans == []

    # 4. Search spans by name and type
    spans = trace.search_spans(name="add_one", span_type=SpanType.TOOL)
    print(spans)
    # Output: [Span(name='add_one', ...)]
    assert [s.name for s in spans] == ["add_one"]

    assert y == 10
    tools = trace.search_spans(span_type=SpanType.TOOL)
    assert [s.name for s in tools] == ["add_one", "add_two", "multiply_by_two"]
    assert trace.search_spans(span_id=tools[1].span_id) == [tools[1]]


def test_info_and_data_read_as_in_mlflow(store_dir: Path) -> None:
    @mlflow.trace
    def f1(x: int, y: int = 2) -> dict[str, Any]:
        return {"sum": x + y, "txt": "é"}

    f1(1)
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    info = trace.info
    assert info.trace_id.startswith("tr-")
    assert info.state == TraceState.OK and info.state == "OK"
    assert isinstance(info.request_time, int) and isinstance(info.execution_duration, int)
    assert info.tags["mlflow.traceName"] == "f1"
    assert isinstance(info.trace_metadata, dict)
    assert info.token_usage is None  # no LLM call
    assert info.assessments == []
    # TraceData: request and response are the root span's inputs and outputs as JSON text.
    assert trace.data.request == '{"x": 1, "y": 2}'
    assert trace.data.response == '{"sum": 3, "txt": "é"}'
    (root,) = trace.data.spans
    assert (root.name, root.span_type, root.parent_id) == ("f1", "UNKNOWN", None)
    assert root.status.status_code == "OK" and root.status.description == ""
    assert (root.inputs, root.outputs) == ({"x": 1, "y": 2}, {"sum": 3, "txt": "é"})
    # ScoreLens's shorthands stay.
    assert trace.spans is trace.data.spans and trace.root_span is root

    @mlflow.trace
    def f3() -> None:
        return None

    f3()
    nothing = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert (nothing.data.request, nothing.data.response) == ("{}", "null")


def test_an_exception_marks_the_trace_and_its_span(store_dir: Path) -> None:
    @mlflow.trace
    def f2() -> None:
        raise KeyError("missing 7")

    with pytest.raises(KeyError):
        f2()
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    (span,) = trace.data.spans
    assert trace.info.state == "ERROR"
    assert span.status.status_code == "ERROR"
    assert span.status.description == "KeyError: 'missing 7'"
    assert [e.name for e in span.events] == ["exception"]
    assert sorted(span.events[0].attributes) == [
        "exception.message",
        "exception.stacktrace",
        "exception.type",
    ]
    assert trace.data.response is None


def test_from_json_reads_the_trace_column_of_search_traces(store_dir: Path) -> None:
    @mlflow.trace
    def answer(question: str) -> str:
        return "Paris"

    answer("capital of France?")
    trace_id = mlflow.get_last_active_trace_id()
    mlflow.log_feedback(trace_id=trace_id, name="correct", value=True)
    column = mlflow.search_traces()["trace"]
    trace = Trace.from_json(column[0])
    assert trace.info.trace_id == trace_id
    assert [s.name for s in trace.data.spans] == ["answer"]
    assert trace.data.spans[0].inputs == {"question": "capital of France?"}
    assert [(a.name, a.value) for a in trace.search_assessments(type="feedback")] == [
        ("correct", True)
    ]


def test_from_json_reads_a_trace_mlflow_wrote() -> None:
    trace = Trace.from_json(json.dumps(MLFLOW_TRACE))
    info = trace.info
    assert info.trace_id == "tr-481305d2430eaeeabf7ce9a74b57ba74"
    assert (info.request_time, info.execution_duration) == (1796006555907, 36)
    assert (info.state, info.experiment_id) == ("OK", "0")
    assert info.tags == {"mlflow.traceName": "answer"}
    spans = [
        (s.name, s.span_type, s.span_id, s.parent_id, s.inputs, s.outputs, s.status.status_code)
        for s in trace.data.spans
    ]
    assert spans == [
        (
            "answer",
            "CHAIN",
            "5346090ec6f803b3",
            None,
            {"question": "capital of France?"},
            "PARIS",
            "OK",
        ),
        (
            "lookup",
            "RETRIEVER",
            "462a934a8daf0edb",
            "5346090ec6f803b3",
            {"question": "capital of France?"},
            "paris",
            "OK",
        ),
    ]
    assert trace.data.spans[0].start_time_ns == 1796006555907962183
    assert [(a.name, a.value, a.source.source_type, a.assessment_id) for a in info.assessments] == [
        ("correct", True, "CODE", "a-e7a647cfb63c4e03978b5eae0dd6e9a3")
    ]
    assert (trace.data.request, trace.data.response) == (
        '{"question": "capital of France?"}',
        '"PARIS"',
    )


def test_search_assessments_filters_by_name_kind_span_and_validity(store_dir: Path) -> None:
    # Trace.search_assessments: by name, span_id, type; only valid ones unless all=True.
    @mlflow.trace
    def app(question: str) -> str:
        return "Paris"

    app("capital of France?")
    trace_id = mlflow.get_last_active_trace_id()
    root_id = mlflow.get_trace(trace_id).data.spans[0].span_id
    first = mlflow.log_feedback(trace_id=trace_id, name="relevance", value=0.6)
    mlflow.override_feedback(trace_id=trace_id, assessment_id=first.assessment_id, value=0.9)
    mlflow.log_feedback(trace_id=trace_id, name="span_ok", value=True, span_id=root_id)
    mlflow.log_expectation(trace_id=trace_id, name="expected_answer", value="Paris")
    trace = mlflow.get_trace(trace_id)
    assert [a.value for a in trace.search_assessments("relevance")] == [0.9]
    assert sorted(a.value for a in trace.search_assessments("relevance", all=True)) == [0.6, 0.9]
    assert [a.name for a in trace.search_assessments(span_id=root_id)] == ["span_ok"]
    assert [a.name for a in trace.search_assessments(type="expectation")] == ["expected_answer"]
    assert all(isinstance(a, Feedback) for a in trace.search_assessments(type="feedback"))


def test_to_dict_keeps_the_shape_the_editor_renders(store_dir: Path) -> None:
    @mlflow.trace(span_type=SpanType.CHAIN)
    def app(question: str) -> str:
        return "Paris"

    app("q")
    data = mlflow.get_trace(mlflow.get_last_active_trace_id()).to_dict()
    assert set(data) == {"info", "spans"}
    assert {
        "trace_id",
        "experiment_id",
        "run_id",
        "request_time",
        "execution_duration",
        "state",
        "expectations",
        "tags",
    } <= set(data["info"])
    (span,) = data["spans"]
    assert span["status"] == {"code": "OK", "message": ""}
    assert set(span) == {
        "trace_id",
        "span_id",
        "parent_id",
        "name",
        "span_type",
        "start_time_ns",
        "end_time_ns",
        "status",
        "inputs",
        "outputs",
        "attributes",
        "events",
    }
    assert Trace.from_dict(data).to_dict() == data


def test_a_trace_stored_before_mlflow_shapes_still_loads(store_dir: Path) -> None:
    # What ScoreLens 0.1 wrote: status as a plain code, no trace_metadata, flat token counts.
    old = {
        "info": {
            "trace_id": "tr-" + "0" * 32,
            "experiment_id": "0",
            "run_id": None,
            "request_time": 1700000000000,
            "execution_duration": 5,
            "state": "OK",
            "expectations": {"expected_facts": ["89"]},
            "tags": {},
        },
        "spans": [
            {
                "trace_id": "tr-" + "0" * 32,
                "span_id": "a" * 16,
                "parent_id": None,
                "name": "app",
                "span_type": "CHAIN",
                "start_time_ns": 1,
                "end_time_ns": 2,
                "status": {"code": "OK", "message": ""},
                "inputs": {"q": "hi"},
                "outputs": "$89",
                "attributes": {"total_tokens": 12},
                "events": [{"name": "e", "timestamp_ns": 1, "attributes": {}}],
            }
        ],
    }
    trace = Trace.from_dict(old)
    assert trace.info.state == "OK" and trace.info.token_usage is None
    assert trace.data.spans[0].events[0].timestamp == 1
    assert trace.data.spans[0].get_attribute("total_tokens") == 12
    assert [(a.name, a.value) for a in trace.search_assessments(type="expectation")] == [
        ("expected_facts", ["89"])
    ]
    assert Trace.from_dict(trace.to_dict()).to_dict() == trace.to_dict()
