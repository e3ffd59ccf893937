"""The examples of MLflow's "Tracing OpenAI" page that run without OpenAI's service.

Source: https://mlflow.org/docs/latest/genai/tracing/integrations/listing/openai
  (docs/docs/genai/tracing/integrations/listing/openai.mdx in mlflow/mlflow): "Basic Example"
  (Chat Completion API; its tracking-server URI line is left out, the store is the test's),
  "Streaming" (Chat Completion API), "Async" (Chat Completion API; its top-level `await` runs in
  asyncio.run), "Function Calling" (Chat Completion API), "Token usage" and "Disable
  auto-tracing". The Responses API tabs are in test_docs_openai_responses.py (their Function
  Calling example needs api.open-meteo.com and an undefined `input_messages`).
Expected values come from running the same code on MLflow 3.17.2 (sqlite store, synchronous trace
logging) against the same loopback server, which never asks for a tool call and counts tokens
as words.
"""

# MLflow's examples use get_trace's result unchecked (it may be None); its code is kept.
# mypy: disable-error-code="union-attr, arg-type, attr-defined, index, no-untyped-def"
# mypy: disable-error-code="no-untyped-call"
from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from openai import OpenAI

import scorelens as mlflow
from scorelens.entities import SpanType

ANSWER = "Thanks for reaching out! Could you share a few more details so I can help?"


@pytest.fixture(autouse=True)
def autolog_off_afterwards() -> Iterator[None]:
    yield
    mlflow.openai.autolog(disable=True)


def test_basic_example_chat_completion(store_dir: Path, openai_env: str) -> None:
    # Enable auto-tracing for OpenAI
    mlflow.openai.autolog()

    # Optional: Set a tracking URI and an experiment
    mlflow.set_experiment("OpenAI")

    openai_client = openai.OpenAI()

    messages = [
        {
            "role": "user",
            "content": "What is the capital of France?",
        }
    ]

    response = openai_client.chat.completions.create(
        model="o4-mini",
        messages=messages,
        temperature=0.1,
        max_tokens=100,
    )

    assert response.choices[0].message.content == ANSWER
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert trace.info.state == "OK"
    assert trace.info.token_usage == {"input_tokens": 6, "output_tokens": 15, "total_tokens": 21}
    (span,) = trace.data.spans
    assert (span.name, span.span_type, span.parent_id) == ("Completions", "CHAT_MODEL", None)
    assert span.inputs == {
        "model": "o4-mini",
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "temperature": 0.1,
        "max_tokens": 100,
    }
    assert span.outputs["choices"][0]["message"]["content"] == ANSWER
    assert span.get_attribute("temperature") == 0.1
    assert span.get_attribute("max_tokens") == 100
    assert span.get_attribute("mlflow.llm.model") == "o4-mini"
    assert span.get_attribute("mlflow.message.format") == "openai"


def test_streaming_chat_completion(
    store_dir: Path, openai_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Enable trace logging
    mlflow.openai.autolog()

    client = openai.OpenAI()

    stream = client.chat.completions.create(
        model="o4-mini",
        messages=[{"role": "user", "content": "How fast would a glass of water freeze on Titan?"}],
        stream=True,  # Enable streaming response
    )
    for chunk in stream:
        print(chunk.choices[0].delta.content or "", end="")

    assert capsys.readouterr().out == ANSWER
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    (span,) = trace.data.spans
    assert (span.name, span.span_type) == ("Completions", "CHAT_MODEL")
    assert span.inputs["stream"] is True
    # "render the concatenated output in the span UI"
    assert span.outputs["choices"][0]["message"]["content"] == ANSWER
    # No usage without stream_options={"include_usage": True} (the page's note (*1)).
    assert trace.info.token_usage is None


def test_streamed_chunks_are_span_events(store_dir: Path, openai_env: str) -> None:
    mlflow.openai.autolog()
    client = openai.OpenAI()
    stream = client.chat.completions.create(
        model="o4-mini",
        messages=[{"role": "user", "content": "How fast would a glass of water freeze on Titan?"}],
        stream=True,
    )
    for _ in stream:
        pass
    (span,) = mlflow.get_trace(mlflow.get_last_active_trace_id()).data.spans
    names = [event.name for event in span.events]
    assert names == [f"mlflow.chunk.item.{i}" for i in range(17)]


def _async_example() -> object:
    async def main() -> object:
        client = openai.AsyncOpenAI()

        response = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "user", "content": "How fast would a glass of water freeze on Titan?"}
            ],
            # Async streaming is also supported
            # stream=True
        )
        return response

    return asyncio.run(main())


def test_async_chat_completion(store_dir: Path, openai_env: str) -> None:
    # Enable trace logging
    mlflow.openai.autolog()

    response = _async_example()

    assert response.choices[0].message.content == ANSWER
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert trace.info.token_usage == {"input_tokens": 10, "output_tokens": 15, "total_tokens": 25}
    (span,) = trace.data.spans
    assert span.span_type == "CHAT_MODEL"
    assert span.get_attribute("mlflow.chat.tokenUsage") == trace.info.token_usage


def test_async_span_is_named_after_the_async_class(store_dir: Path, openai_env: str) -> None:
    mlflow.openai.autolog()
    _async_example()
    (span,) = mlflow.get_trace(mlflow.get_last_active_trace_id()).data.spans
    assert span.name == "AsyncCompletions"


# -- "Function Calling" (Chat Completion API) and "Token usage" --------------------------------


def _define_tool_agent():  # the page's code, verbatim but for the imports
    client = OpenAI()

    # Define the tool function. Decorate it with `@mlflow.trace` to create a span for its execution.
    @mlflow.trace(span_type=SpanType.TOOL)
    def get_weather(city: str) -> str:
        if city == "Tokyo":
            return "sunny"
        elif city == "Paris":
            return "rainy"
        return "unknown"

    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                },
            },
        }
    ]

    _tool_functions = {"get_weather": get_weather}

    # Define a simple tool calling agent
    @mlflow.trace(span_type=SpanType.AGENT)
    def run_tool_agent(question: str):
        messages = [{"role": "user", "content": question}]

        # Invoke the model with the given question and available tools
        response = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            tools=tools,
        )
        ai_msg = response.choices[0].message
        messages.append(ai_msg)

        # If the model request tool call(s), invoke the function with the specified arguments
        if tool_calls := ai_msg.tool_calls:
            for tool_call in tool_calls:
                function_name = tool_call.function.name
                if tool_func := _tool_functions.get(function_name):
                    args = json.loads(tool_call.function.arguments)
                    tool_result = tool_func(**args)
                else:
                    raise RuntimeError("An invalid tool is returned from the assistant!")

                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": tool_call.id,
                        "content": tool_result,
                    }
                )

            # Sent the tool results to the model and get a new response
            response = client.chat.completions.create(model="gpt-4o-mini", messages=messages)

        return response.choices[0].message.content

    return run_tool_agent, tools


def test_function_calling_and_token_usage(
    store_dir: Path, openai_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_tool_agent, tools = _define_tool_agent()

    mlflow.openai.autolog()

    # Run the tool calling agent defined in the previous section
    question = "What's the weather like in Paris today?"
    answer = run_tool_agent(question)

    # Get the trace object just created
    last_trace_id = mlflow.get_last_active_trace_id()
    trace = mlflow.get_trace(trace_id=last_trace_id)

    # Print the token usage
    total_usage = trace.info.token_usage
    print("== Total token usage: ==")
    print(f"  Input tokens: {total_usage['input_tokens']}")
    print(f"  Output tokens: {total_usage['output_tokens']}")
    print(f"  Total tokens: {total_usage['total_tokens']}")

    # Print the token usage for each LLM call
    print("\n== Detailed usage for each LLM call: ==")
    for span in trace.data.spans:
        if usage := span.get_attribute("mlflow.chat.tokenUsage"):
            print(f"{span.name}:")
            print(f"  Input tokens: {usage['input_tokens']}")
            print(f"  Output tokens: {usage['output_tokens']}")
            print(f"  Total tokens: {usage['total_tokens']}")

    # The loopback server answers without asking for the tool: one LLM call.
    assert answer == ANSWER
    assert capsys.readouterr().out == (
        "== Total token usage: ==\n"
        "  Input tokens: 7\n"
        "  Output tokens: 15\n"
        "  Total tokens: 22\n"
        "\n== Detailed usage for each LLM call: ==\n"
        "Completions:\n"
        "  Input tokens: 7\n"
        "  Output tokens: 15\n"
        "  Total tokens: 22\n"
    )
    agent, llm = trace.data.spans
    assert (agent.name, agent.span_type, agent.parent_id) == ("run_tool_agent", "AGENT", None)
    assert agent.inputs == {"question": question}
    assert agent.outputs == ANSWER
    assert (llm.span_type, llm.parent_id) == ("CHAT_MODEL", agent.span_id)
    assert llm.inputs["tools"] == tools
    assert llm.get_attribute("tools") == tools


def test_function_calling_records_mlflow_chat_tools(store_dir: Path, openai_env: str) -> None:
    run_tool_agent, tools = _define_tool_agent()
    mlflow.openai.autolog()
    run_tool_agent("What's the weather like in Paris today?")
    _, llm = mlflow.get_trace(mlflow.get_last_active_trace_id()).data.spans
    assert llm.get_attribute("mlflow.chat.tools") == tools


# -- "Disable auto-tracing" ----------------------------------------------------------------------


def test_disable_with_openai_autolog(store_dir: Path, openai_env: str) -> None:
    mlflow.openai.autolog()
    client = openai.OpenAI()
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    client.chat.completions.create(model="o4-mini", messages=messages)
    traced = mlflow.get_last_active_trace_id()
    assert traced is not None

    mlflow.openai.autolog(disable=True)

    client.chat.completions.create(model="o4-mini", messages=messages)
    assert mlflow.get_last_active_trace_id() == traced
    assert len(mlflow.search_traces(return_type="list")) == 1


def test_disable_with_mlflow_autolog(store_dir: Path, openai_env: str) -> None:
    mlflow.openai.autolog()
    mlflow.autolog(disable=True)
    openai.OpenAI().chat.completions.create(
        model="o4-mini", messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    # The page's intent: "disable auto tracing" for every integration. MLflow 3.17.2 itself does
    # not undo an earlier mlflow.openai.autolog() here and still traces the call, which
    # contradicts its page; ScoreLens follows the page.
    assert mlflow.search_traces(return_type="list") == []
