"""OpenAI autolog spans and token usage under MLflow's keys, read as MLflow's docs read them.

Sources:
  https://mlflow.org/docs/latest/genai/tracing/integrations/listing/openai ("Enable Tracing and
    Make API Calls"; the tracking-server URI line is left out: the store is the test's)
  https://mlflow.org/docs/latest/genai/tracing/token-usage-cost ("Accessing Programmatically",
    trace level; and the span-level loop over `mlflow.chat.tokenUsage`)
  mlflow/openai/autolog.py and mlflow/openai/utils/chat_schema.py (MLflow 3.17.2): the span's
    attributes.
Expected values come from running the same code with MLflow 3.17.2's autolog against the same
loopback server (fixtures/openai_server.py counts tokens as words), e.g. 12 input, 15 output and
27 total tokens for the first example.
"""

# MLflow's examples use get_trace's result unchecked (it may be None); its code is kept.
# mypy: disable-error-code="union-attr, arg-type"
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

import scorelens as mlflow


@pytest.fixture(autouse=True)
def autolog() -> Iterator[None]:
    yield
    mlflow.openai.autolog(disable=True)


def test_token_usage_of_a_chat_completion(
    store_dir: Path, openai_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Enable auto-tracing for OpenAI
    mlflow.openai.autolog()

    # Set a tracking URI and an experiment
    mlflow.set_experiment("OpenAI")

    # Invoke the OpenAI model as usual
    client = openai.OpenAI()
    response = client.chat.completions.create(
        model="o4-mini",
        messages=[
            {"role": "system", "content": "You are a helpful weather assistant."},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        max_completion_tokens=100,
    )

    # Get the most recent trace
    last_trace_id = mlflow.get_last_active_trace_id()
    trace = mlflow.get_trace(trace_id=last_trace_id)

    # Access token usage
    total_usage = trace.info.token_usage
    if total_usage:
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

    assert response.usage is not None and response.usage.total_tokens == 27
    assert total_usage == {"input_tokens": 12, "output_tokens": 15, "total_tokens": 27}
    printed = capsys.readouterr().out
    assert "Completions:\n  Input tokens: 12\n  Output tokens: 15\n  Total tokens: 27" in printed
    (span,) = trace.data.spans
    assert (span.name, span.span_type, span.parent_id) == ("Completions", "CHAT_MODEL", None)
    assert span.inputs == {
        "model": "o4-mini",
        "messages": [
            {"role": "system", "content": "You are a helpful weather assistant."},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        "max_completion_tokens": 100,
    }
    # MLflow's attributes, but for its cost estimate (LiteLLM's price table) and log level.
    assert span.attributes == {
        "model": "o4-mini",
        "max_completion_tokens": 100,
        "mlflow.message.format": "openai",
        "mlflow.llm.model": "o4-mini",
        "mlflow.chat.tokenUsage": {"input_tokens": 12, "output_tokens": 15, "total_tokens": 27},
    }


def test_trace_usage_sums_every_call_and_streams_count(store_dir: Path, openai_env: str) -> None:
    mlflow.openai.autolog()
    client = openai.OpenAI()

    @mlflow.trace
    def app(q: str) -> str | None:
        a = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": q}]
        )
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": q + " again"}]
        )
        return a.choices[0].message.content

    app("How much does a microwave cost?")
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert trace.info.token_usage == {"input_tokens": 13, "output_tokens": 28, "total_tokens": 41}
    assert [s.get_attribute("mlflow.chat.tokenUsage") for s in trace.data.spans] == [
        None,
        {"input_tokens": 6, "output_tokens": 14, "total_tokens": 20},
        {"input_tokens": 7, "output_tokens": 14, "total_tokens": 21},
    ]

    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "How much does a microwave cost?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for _ in stream:
        pass
    streamed = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert streamed.info.token_usage == {"input_tokens": 6, "output_tokens": 14, "total_tokens": 20}
    (span,) = streamed.data.spans
    assert span.attributes == {
        "model": "gpt-4o-mini",
        "stream": True,
        "stream_options": {"include_usage": True},
        "mlflow.message.format": "openai",
        "mlflow.llm.model": "gpt-4o-mini",
        "mlflow.chat.tokenUsage": {"input_tokens": 6, "output_tokens": 14, "total_tokens": 20},
    }


def test_a_wrapper_reporting_its_childrens_usage_is_not_counted_twice(store_dir: Path) -> None:
    # MLflow's aggregation (tracing/utils: _aggregate_from_nodes) skips spans under one that
    # already reports usage.
    with mlflow.start_span("agent") as agent:
        agent.set_attribute(
            "mlflow.chat.tokenUsage", {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
        )
        with mlflow.start_span("llm", span_type="CHAT_MODEL") as llm:
            llm.set_attribute(
                "mlflow.chat.tokenUsage", {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
            )
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert trace.info.token_usage == {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
