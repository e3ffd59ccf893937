"""Autologging the real openai SDK against the loopback server over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

import scorelens
from scorelens.entities import Span, SpanType, Trace

QUESTION: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "How much does a microwave cost?"}
]


@pytest.fixture(autouse=True)
def autolog() -> Iterator[None]:
    scorelens.openai.autolog()
    yield
    scorelens.openai.autolog(disable=True)


def chat_span() -> tuple[Trace, Span]:
    (trace,) = scorelens.search_traces(return_type="list")
    spans = trace.search_spans(span_type=SpanType.CHAT_MODEL)
    assert len(spans) == 1
    return trace, spans[0]


def test_completion_is_recorded_with_usage_and_without_secrets(
    store_dir: Path, openai_env: str
) -> None:
    client = openai.OpenAI()

    @scorelens.trace
    def app(messages: list[ChatCompletionMessageParam]) -> str | None:
        response = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            temperature=0,
            extra_headers={"X-Secret": "do-not-store"},
        )
        return response.choices[0].message.content

    answer = app(QUESTION)
    assert answer is not None and "$89" in answer
    trace, span = chat_span()
    assert span.parent_id == trace.root_span.span_id  # type: ignore[union-attr]
    assert span.name == "Completions"
    assert span.inputs == {"model": "gpt-4o-mini", "messages": QUESTION, "temperature": 0}
    assert span.outputs["choices"][0]["message"]["content"] == answer
    assert span.attributes["model"] == "gpt-4o-mini"
    assert span.attributes["temperature"] == 0
    assert span.attributes["mlflow.message.format"] == "openai"
    assert span.attributes["mlflow.llm.model"] == "gpt-4o-mini"
    usage = span.attributes["mlflow.chat.tokenUsage"]
    words = len(answer.split())
    assert usage == {"input_tokens": 6, "output_tokens": words, "total_tokens": 6 + words}
    assert trace.info.token_usage == usage  # the only LLM call
    assert "sk-loopback-test-key" not in trace.to_json()
    assert "do-not-store" not in trace.to_json()


def test_streaming_completion_is_reassembled(store_dir: Path, openai_env: str) -> None:
    client = openai.OpenAI()
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=QUESTION,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    _, span = chat_span()
    content = span.outputs["choices"][0]["message"]["content"]
    assert content == "".join(pieces) and "$89" in content
    assert span.attributes["mlflow.chat.tokenUsage"]["output_tokens"] == len(content.split())
    assert span.status.status_code == "OK" and span.end_time_ns is not None


def test_async_and_async_streaming(store_dir: Path, openai_env: str) -> None:
    client = openai.AsyncOpenAI()

    @scorelens.trace
    async def app() -> str:
        plain = await client.chat.completions.create(model="m", messages=QUESTION)
        stream = await client.chat.completions.create(
            model="m",
            messages=QUESTION,
            stream=True,
        )
        streamed = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert plain.choices[0].message.content == streamed
        return streamed

    asyncio.run(app())
    (trace,) = scorelens.search_traces(return_type="list")
    spans = trace.search_spans(span_type=SpanType.CHAT_MODEL)
    assert len(spans) == 2
    assert spans[0].attributes["mlflow.chat.tokenUsage"]["total_tokens"] > 0
    # Without include_usage the server sends no usage, so none is invented.
    assert "mlflow.chat.tokenUsage" not in spans[1].attributes
    # The trace's usage is the plain call's alone.
    assert trace.info.token_usage == spans[0].attributes["mlflow.chat.tokenUsage"]
    assert spans[1].outputs["choices"][0]["message"]["content"].startswith("Our countertop")


def test_server_error_marks_the_span_and_trace(store_dir: Path, openai_env: str) -> None:
    client = openai.OpenAI(max_retries=0)

    @scorelens.trace
    def app() -> None:
        client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "[server-error] please"}],
        )

    with pytest.raises(openai.InternalServerError):
        app()
    trace, span = chat_span()
    assert trace.info.state == "ERROR"
    assert span.status.status_code == "ERROR"
    assert span.events[0].attributes["exception.type"] == "InternalServerError"


def test_disable_restores_the_sdk(store_dir: Path, openai_env: str) -> None:
    scorelens.openai.autolog(disable=True)
    client = openai.OpenAI()
    client.chat.completions.create(model="m", messages=QUESTION)
    assert scorelens.search_traces().empty
