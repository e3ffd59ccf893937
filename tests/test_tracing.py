"""@trace and start_span, observed through stored traces."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import scorelens
from scorelens.entities import Span, SpanType, Trace


def stored_traces() -> list[Trace]:
    return scorelens.search_traces(return_type="list")


def only_trace() -> Trace:
    traces = stored_traces()
    assert len(traces) == 1
    return traces[0]


def test_nested_calls_become_child_spans(store_dir: Path) -> None:
    @scorelens.trace(span_type=SpanType.TOOL, attributes={"source": "kb"})
    def lookup(topic: str, limit: int = 3) -> list[str]:
        return [topic] * limit

    @scorelens.trace(name="answer_question", span_type="CHAIN")
    def app(question: str) -> str:
        return ", ".join(lookup(question.split()[0]))

    assert app("returns policy") == "returns, returns, returns"
    trace = only_trace()
    root = trace.root_span
    assert root is not None
    assert (root.name, root.span_type, root.inputs, root.outputs) == (
        "answer_question",
        "CHAIN",
        {"question": "returns policy"},
        "returns, returns, returns",
    )
    (child,) = trace.children(root)
    assert child.name == "lookup"
    assert child.inputs == {"topic": "returns", "limit": 3}  # defaults are recorded too
    assert child.attributes == {"source": "kb"}
    assert trace.search_spans(span_type=SpanType.TOOL) == [child]
    assert trace.search_spans(name="lookup") == [child]
    assert root.start_time_ns <= child.start_time_ns <= (child.end_time_ns or 0)
    assert (child.end_time_ns or 0) <= (root.end_time_ns or 0)
    assert trace.info.state == "OK"
    assert [depth for depth, _ in trace.walk()] == [0, 1]


def test_exception_marks_span_and_trace_error_and_reraises(store_dir: Path) -> None:
    @scorelens.trace
    def failing(x: int) -> int:
        raise KeyError(f"missing {x}")

    with pytest.raises(KeyError):
        failing(7)
    trace = only_trace()
    root = trace.root_span
    assert root is not None
    assert trace.info.state == "ERROR"
    assert root.status.status_code == "ERROR"
    assert "missing 7" in root.status_message
    (event,) = root.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "KeyError"
    assert "failing" in event.attributes["exception.stacktrace"]


def test_async_functions_nest_under_concurrent_tasks(store_dir: Path) -> None:
    @scorelens.trace
    async def fetch(n: int) -> int:
        await asyncio.sleep(0.01 * (3 - n))
        return n * 10

    @scorelens.trace
    async def gather_all() -> list[int]:
        return list(await asyncio.gather(fetch(1), fetch(2)))

    assert asyncio.run(gather_all()) == [10, 20]
    trace = only_trace()
    root = trace.root_span
    assert root is not None and root.outputs == [10, 20]
    children = trace.children(root)
    assert sorted(c.outputs for c in children) == [10, 20]


def test_generators_record_every_item_and_close_when_exhausted(store_dir: Path) -> None:
    @scorelens.trace
    def words(text: str) -> Iterator[str]:
        yield from text.split()

    @scorelens.trace
    async def numbers(n: int) -> AsyncIterator[int]:
        for i in range(n):
            yield i

    assert list(words("a b c")) == ["a", "b", "c"]

    async def consume() -> list[int]:
        return [i async for i in numbers(3)]

    assert asyncio.run(consume()) == [0, 1, 2]
    by_name = {t.root_span.name: t.root_span for t in stored_traces() if t.root_span}
    assert by_name["words"].outputs == ["a", "b", "c"]
    assert by_name["numbers"].outputs == [0, 1, 2]
    assert all(s.end_time_ns is not None for s in by_name.values())


def test_threads_get_separate_traces(store_dir: Path) -> None:
    barrier = threading.Barrier(2)

    @scorelens.trace
    def leaf(name: str) -> str:
        barrier.wait(timeout=5)  # both threads inside a span at the same time
        return name

    @scorelens.trace
    def worker(name: str) -> str:
        return leaf(name)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("t1", "t2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    traces = stored_traces()
    assert len(traces) == 2
    for trace in traces:
        root = trace.root_span
        assert root is not None
        (child,) = trace.children(root)
        assert child.outputs == root.inputs["name"]
        assert {s.trace_id for s in trace.spans} == {trace.trace_id}


def test_start_span_records_manual_spans(store_dir: Path) -> None:
    with scorelens.start_span("retrieve", span_type=SpanType.RETRIEVER) as span:
        span.set_inputs({"query": "warranty"})
        with scorelens.start_span("rerank", span_type=SpanType.RERANKER) as inner:
            inner.set_attribute("k", 2)
        span.set_outputs(["doc-1", "doc-2"])
    trace = only_trace()
    root = trace.root_span
    assert root is not None
    assert (root.name, root.span_type, root.outputs) == (
        "retrieve",
        "RETRIEVER",
        ["doc-1", "doc-2"],
    )
    assert [s.name for s in trace.children(root)] == ["rerank"]
    assert trace.spans[1].attributes == {"k": 2}


def test_unserializable_values_are_stored_as_repr_and_flagged(store_dir: Path) -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque handle>"

    @scorelens.trace
    def app(client: Any, question: str) -> dict[str, Any]:
        return {"answer": question.upper(), "raw": Opaque()}

    app(Opaque(), "hi")
    root = only_trace().root_span
    assert root is not None
    assert root.inputs == {"client": "<Opaque handle>", "question": "hi"}
    assert root.outputs == {"answer": "HI", "raw": "<Opaque handle>"}
    assert root.attributes["scorelens.unserializable"] == ["inputs.client", "outputs.raw"]


def test_trace_json_round_trip(store_dir: Path) -> None:
    @scorelens.trace
    def app(q: str) -> str:
        with scorelens.start_span("step") as span:
            span.set_outputs({"nested": [1, 2.5, None, "é"]})
        return q

    app("x")
    trace = only_trace()
    again = Trace.from_json(trace.to_json())
    assert again == trace
    assert isinstance(again.spans[0], Span)


def test_traces_outside_evaluate_reach_another_process_without_search(
    store_dir: Path, tmp_path: Path
) -> None:
    # The exporter writes within about a second, so a separate reader (the language server,
    # a second notebook) sees traces without this process doing anything more.
    import subprocess
    import sys
    import time

    @scorelens.trace
    def app() -> int:
        return 1

    app()
    app()
    deadline = time.monotonic() + 10
    count = 0
    while time.monotonic() < deadline:
        out = subprocess.run(
            [sys.executable, "-m", "scorelens", "--tracking-uri", str(store_dir), "traces"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        count = out.count("tr-")
        if count == 2:
            break
        time.sleep(0.3)
    assert count == 2
