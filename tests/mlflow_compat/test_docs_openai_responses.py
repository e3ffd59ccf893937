"""The Responses API examples of MLflow's "Tracing OpenAI" page that run without OpenAI's service.

Source: https://mlflow.org/docs/latest/genai/tracing/integrations/listing/openai
  (docs/docs/genai/tracing/integrations/listing/openai.mdx in mlflow/mlflow), the "Responses API"
  tab of "Basic Example" (its tracking-server URI line is left out, the store is the test's; it
  calls `client.responses.create` on a `client` it never defines, so the test binds `client` to
  the `openai_client` it made), of "Streaming", and of "Async" (its top-level `await` runs in
  asyncio.run). The tab of "Function Calling" is not run: it fetches api.open-meteo.com and
  sends an undefined `input_messages`; its `tools` list is used to check `mlflow.chat.tools`.
Expected values come from running the same code on MLflow 3.17.2 (sqlite store, synchronous trace
logging) against the same loopback server (fixtures/openai_server.py), which never asks for a
tool call, counts tokens as words and reports no cached tokens.
"""

# MLflow's examples use get_trace's result unchecked (it may be None); its code is kept.
# mypy: disable-error-code="union-attr, arg-type, attr-defined, index, no-untyped-def"
# mypy: disable-error-code="no-untyped-call, call-overload"
from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import scorelens as mlflow

ANSWER = "Thanks for reaching out! Could you share a few more details so I can help?"
# The event classes the openai SDK parses a one-message text answer into, in order; the
# answer above is 15 words, streamed one word per delta.
STREAM_EVENTS = [
    "ResponseCreatedEvent",
    "ResponseInProgressEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseContentPartAddedEvent",
    *["ResponseTextDeltaEvent"] * 15,
    "ResponseTextDoneEvent",
    "ResponseContentPartDoneEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseCompletedEvent",
]


@pytest.fixture(autouse=True)
def autolog_off_afterwards() -> Iterator[None]:
    yield
    mlflow.openai.autolog(disable=True)


def _output_text(output: dict[str, Any]) -> str:
    (message,) = output["output"]
    assert (message["type"], message["role"], message["status"]) == (
        "message",
        "assistant",
        "completed",
    )
    (part,) = message["content"]
    assert part["type"] == "output_text"
    text: str = part["text"]
    return text


def test_basic_example_responses(store_dir: Path, openai_env: str) -> None:
    # Enable auto-tracing for OpenAI
    mlflow.openai.autolog()

    # Optional: Set a tracking URI and an experiment
    mlflow.set_experiment("OpenAI")

    openai_client = openai.OpenAI()
    client = openai_client  # the page's example calls an undefined `client`

    response = client.responses.create(model="o4-mini", input="What is the capital of France?")

    assert response.output_text == ANSWER
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert trace.info.state == "OK"
    usage = {"input_tokens": 6, "output_tokens": 15, "total_tokens": 21}
    (span,) = trace.data.spans
    assert (span.name, span.span_type, span.parent_id) == ("Responses", "CHAT_MODEL", None)
    assert span.inputs == {"model": "o4-mini", "input": "What is the capital of France?"}
    # The output is the response as OpenAI's SDK dumps it.
    assert span.outputs == response.model_dump(mode="json")
    assert _output_text(span.outputs) == ANSWER
    assert span.get_attribute("model") == "o4-mini"
    assert span.get_attribute("input") is None
    assert span.get_attribute("mlflow.message.format") == "openai"
    assert span.get_attribute("mlflow.llm.model") == "o4-mini"
    # The response reports 0 cached input tokens, which MLflow keeps too.
    assert span.get_attribute("mlflow.chat.tokenUsage") == {**usage, "cache_read_input_tokens": 0}
    assert trace.info.token_usage["input_tokens"] == 6
    assert trace.info.token_usage["output_tokens"] == 15
    assert trace.info.token_usage["total_tokens"] == 21
    assert span.events == []


def test_streaming_responses(
    store_dir: Path, openai_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Enable trace logging
    mlflow.openai.autolog()

    client = openai.OpenAI()

    stream = client.responses.create(
        model="o4-mini",
        input="How fast would a glass of water freeze on Titan?",
        stream=True,  # Enable streaming response
    )
    for event in stream:
        print(event)

    printed = capsys.readouterr().out.splitlines()
    assert [line.split("(", 1)[0] for line in printed] == STREAM_EVENTS
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert trace.info.state == "OK"
    (span,) = trace.data.spans
    assert (span.name, span.span_type) == ("Responses", "CHAT_MODEL")
    assert span.inputs == {
        "model": "o4-mini",
        "input": "How fast would a glass of water freeze on Titan?",
        "stream": True,
    }
    assert span.get_attribute("stream") is True
    # One event per stream event, each the event as JSON ("found in the Event tab").
    assert [e.name for e in span.events] == [f"mlflow.chunk.item.{i}" for i in range(23)]
    chunks = [json.loads(e.attributes["mlflow.chunk.value"]) for e in span.events]
    assert [c["sequence_number"] for c in chunks] == list(range(23))
    assert chunks[0]["type"] == "response.created"
    assert chunks[4] == {
        "type": "response.output_text.delta",
        "sequence_number": 4,
        "item_id": chunks[2]["item"]["id"],
        "output_index": 0,
        "content_index": 0,
        "delta": "Thanks",
        "logprobs": [],
    }
    # The span's output is the response carried by the final `response.completed` event.
    assert chunks[-1]["type"] == "response.completed"
    assert span.outputs == chunks[-1]["response"]
    assert _output_text(span.outputs) == ANSWER
    assert span.outputs["status"] == "completed"
    assert span.get_attribute("mlflow.llm.model") == "o4-mini"
    assert span.get_attribute("mlflow.chat.tokenUsage") == {
        "input_tokens": 10,
        "output_tokens": 15,
        "total_tokens": 25,
        "cache_read_input_tokens": 0,
    }


def _async_example() -> object:
    async def main() -> object:
        client = openai.AsyncOpenAI()

        response = await client.responses.create(
            model="gpt-4o-mini", input="How fast would a glass of water freeze on Titan?"
        )
        return response

    return asyncio.run(main())


def test_async_responses(store_dir: Path, openai_env: str) -> None:
    # Enable trace logging
    mlflow.openai.autolog()

    response = _async_example()

    assert response.output_text == ANSWER
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    (span,) = trace.data.spans
    assert (span.name, span.span_type, span.parent_id) == ("AsyncResponses", "CHAT_MODEL", None)
    assert span.inputs == {
        "model": "gpt-4o-mini",
        "input": "How fast would a glass of water freeze on Titan?",
    }
    assert span.outputs == response.model_dump(mode="json")
    assert span.get_attribute("mlflow.llm.model") == "gpt-4o-mini"
    assert span.get_attribute("mlflow.chat.tokenUsage") == {
        "input_tokens": 10,
        "output_tokens": 15,
        "total_tokens": 25,
        "cache_read_input_tokens": 0,
    }


def test_async_streaming_responses(store_dir: Path, openai_env: str) -> None:
    # The Async tab's note "Async streaming is also supported", on the Responses API.
    mlflow.openai.autolog()

    async def main() -> list[str]:
        client = openai.AsyncOpenAI()
        stream = await client.responses.create(
            model="gpt-4o-mini", input="What does the warranty cover?", stream=True
        )
        return [event.type async for event in stream]

    types = asyncio.run(main())

    (span,) = mlflow.get_trace(mlflow.get_last_active_trace_id()).data.spans
    assert span.name == "AsyncResponses"
    assert len(span.events) == len(types) == 26
    assert types[-1] == "response.completed"
    assert _output_text(span.outputs).startswith("Every appliance comes with a 1-year")
    assert span.get_attribute("mlflow.chat.tokenUsage") == {
        "input_tokens": 5,
        "output_tokens": 18,
        "total_tokens": 23,
        "cache_read_input_tokens": 0,
    }


# The "Function Calling" (Responses API) tab's tools, verbatim.
PAGE_TOOLS: list[Any] = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Get current temperature for provided coordinates in celsius.",
        "parameters": {
            "type": "object",
            "properties": {
                "latitude": {"type": "number"},
                "longitude": {"type": "number"},
            },
            "required": ["latitude", "longitude"],
            "additionalProperties": False,
        },
        "strict": True,
    }
]


def test_function_tools_are_recorded_in_the_chat_shape(store_dir: Path, openai_env: str) -> None:
    mlflow.openai.autolog()
    client = openai.OpenAI()
    question = "What's the weather like in Paris today?"
    tools: list[Any] = [*PAGE_TOOLS, {"type": "file_search", "vector_store_ids": ["vs_manuals"]}]
    client.responses.create(model="gpt-4o-mini", input=question, tools=tools)

    (span,) = mlflow.get_trace(mlflow.get_last_active_trace_id()).data.spans
    assert span.inputs["tools"] == tools
    assert span.get_attribute("tools") == tools
    # MLflow nests a Responses API function under "function", as in a chat completion, and
    # lists a built-in tool as a function named after its type.
    definition = {k: v for k, v in PAGE_TOOLS[0].items() if k != "type"}
    assert span.get_attribute("mlflow.chat.tools") == [
        {"type": "function", "function": definition},
        {"type": "function", "function": {"name": "file_search"}},
    ]


def test_unknown_tool_type_leaves_chat_tools_out(store_dir: Path, openai_env: str) -> None:
    # MLflow 3.17.2 does not know "web_search" and then records no mlflow.chat.tools at all.
    mlflow.openai.autolog()
    tools: list[Any] = [*PAGE_TOOLS, {"type": "web_search"}]
    openai.OpenAI().responses.create(model="gpt-4o-mini", input="Any promo codes?", tools=tools)
    (span,) = mlflow.get_trace(mlflow.get_last_active_trace_id()).data.spans
    assert span.get_attribute("mlflow.chat.tools") is None
    assert span.get_attribute("tools") == tools


def test_server_error_is_recorded(store_dir: Path, openai_env: str) -> None:
    mlflow.openai.autolog()
    client = openai.OpenAI(max_retries=0)
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="o4-mini", input="[server-error] hello")
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert trace.info.state == "ERROR"
    (span,) = trace.data.spans
    assert span.name == "Responses"
    assert span.status.status_code == "ERROR"
    assert span.outputs is None


def test_stream_closed_early_keeps_the_finished_output_items(
    store_dir: Path, openai_env: str
) -> None:
    # A stream that ends without `response.completed` gets MLflow's rebuilt output: a response
    # holding only the finished output items (`response.output_item.done`), the model falling
    # back to the request's. (MLflow 3.17.2 itself only rebuilds when such a stream runs out; a
    # stream closed early leaves its span open. ScoreLens ends the span on close.)
    mlflow.openai.autolog()
    stream = openai.OpenAI().responses.create(
        model="o4-mini", input="How fast would a glass of water freeze on Titan?", stream=True
    )
    seen = []
    for event in stream:
        seen.append(event.type)
        if event.type == "response.output_item.done":
            break
    stream.close()

    (span,) = mlflow.get_trace(mlflow.get_last_active_trace_id()).data.spans
    assert len(span.events) == len(seen) == 22
    assert span.outputs["object"] == "response"
    assert span.outputs["id"] is None
    assert _output_text(span.outputs) == ANSWER
    assert span.get_attribute("mlflow.llm.model") == "o4-mini"
    assert span.get_attribute("mlflow.chat.tokenUsage") is None


@pytest.mark.parametrize(
    "disable",
    [
        pytest.param(lambda: mlflow.openai.autolog(disable=True), id="openai.autolog"),
        pytest.param(lambda: mlflow.autolog(disable=True), id="mlflow.autolog"),
    ],
)
def test_disable_stops_responses_tracing(store_dir: Path, openai_env: str, disable) -> None:
    responses_cls = openai.resources.responses.Responses
    async_responses_cls = openai.resources.responses.AsyncResponses
    originals = (responses_cls.create, async_responses_cls.create)
    mlflow.openai.autolog()
    assert (responses_cls.create, async_responses_cls.create) != originals
    client = openai.OpenAI()
    client.responses.create(model="o4-mini", input="What is the capital of France?")
    traced = mlflow.get_last_active_trace_id()
    assert traced is not None

    disable()

    assert (responses_cls.create, async_responses_cls.create) == originals
    response = client.responses.create(model="o4-mini", input="What is the capital of France?")
    assert response.output_text == ANSWER

    async def call_async() -> None:
        await openai.AsyncOpenAI().responses.create(model="o4-mini", input="Hi")

    asyncio.run(call_async())
    stream = client.responses.create(model="o4-mini", input="Hi", stream=True)
    assert isinstance(stream, openai.Stream)
    assert [event.type for event in stream][-1] == "response.completed"
    assert mlflow.get_last_active_trace_id() == traced
    assert len(mlflow.search_traces(return_type="list")) == 1
