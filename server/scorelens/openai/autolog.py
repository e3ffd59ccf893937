"""Patch the openai SDK so each chat completion or response is recorded as a CHAT_MODEL span.

Works on the class methods, so clients created before or after `autolog()` are both traced.
`chat.completions.create` and `responses.create` are patched, sync and async. The span is
MLflow's: named after the patched class ("Completions", "AsyncCompletions", "Responses",
"AsyncResponses"), the request's keyword arguments as inputs and (but for `messages`/`input`) as
attributes, the request's `tools` under `mlflow.chat.tools` (Responses API tools in the chat
shape, as MLflow normalises them), `mlflow.message.format` "openai", one event per streamed
chunk or event (`mlflow.chunk.item.<i>`), and from the response `mlflow.llm.model` and the token
usage under `mlflow.chat.tokenUsage` (`{"input_tokens", "output_tokens", "total_tokens"}`, plus
`cache_read_input_tokens` when reported), which the trace sums into `trace.info.token_usage`.
A streamed response's output is the `response.completed` event's response, as in MLflow.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

from scorelens.entities import SpanType
from scorelens.tracing.constant import (
    STREAM_CHUNK_EVENT_NAME_FORMAT,
    STREAM_CHUNK_EVENT_VALUE_KEY,
    SpanAttributeKey,
    TokenUsageKey,
)
from scorelens.tracing.context import LiveSpan, open_span
from scorelens.tracing.serialize import to_jsonable

_SECRET_KWARGS = frozenset(
    {"extra_headers", "extra_query", "timeout", "api_key", "default_headers"}
)

# Built-in Responses API tools MLflow lists under `mlflow.chat.tools` by their type name; a
# tool of any other type makes MLflow leave the attribute out altogether, and so do we.
_RESPONSES_BUILT_IN_TOOLS = frozenset(
    {
        "file_search",
        "computer_use_preview",
        "web_search_preview",
        "local_shell",
        "mcp",
        "code_interpreter",
        "image_generation",
    }
)

# The create() methods replaced by autolog, keyed by their class, holding the original.
_originals: dict[type, Callable[..., Any]] = {}


def _patch_targets() -> list[tuple[type, bool]]:
    """(class whose `create` is traced, whether it is async) for this openai version."""
    from openai.resources.chat.completions import AsyncCompletions, Completions

    targets: list[tuple[type, bool]] = [(Completions, False), (AsyncCompletions, True)]
    try:
        from openai.resources.responses import AsyncResponses, Responses
    except ImportError:  # the Responses API arrived in openai 1.66; older SDKs still trace chat
        return targets
    return [*targets, (Responses, False), (AsyncResponses, True)]


def autolog(disable: bool = False) -> None:
    """Trace `chat.completions.create` and `responses.create` (sync, async, streaming).

    `disable=True` puts the original methods back.
    """
    for cls, is_async in _patch_targets():
        if disable:
            if cls in _originals:
                cls.create = _originals.pop(cls)  # type: ignore[attr-defined]
        elif cls not in _originals:
            original = cls.create  # type: ignore[attr-defined]
            _originals[cls] = original
            wrap = _traced_async if is_async else _traced_sync
            # Decided by the patched class, not the caller's: a subclass of Responses (a
            # provider's wrapper, say) still streams Responses API events.
            responses_api = cls.__name__ in ("Responses", "AsyncResponses")
            cls.create = wrap(original, responses_api)  # type: ignore[attr-defined]


def _request_inputs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in kwargs.items()
        if k not in _SECRET_KWARGS and "key" not in k.lower() and "header" not in k.lower()
    }


def _open(resource: Any, kwargs: dict[str, Any]) -> LiveSpan:
    span = open_span(type(resource).__name__, SpanType.CHAT_MODEL)
    inputs = _request_inputs(kwargs)
    span.set_inputs(inputs)
    span.set_attributes({k: v for k, v in inputs.items() if k not in ("messages", "input")})
    tools = _chat_tools(inputs.get("tools"))
    if tools is not None:
        # The trace UI shows the functions a model could call from this attribute.
        span.set_attribute(SpanAttributeKey.CHAT_TOOLS, tools)
    span.set_attribute(SpanAttributeKey.MESSAGE_FORMAT, "openai")
    return span


def _chat_tools(tools: Any) -> list[Any] | None:
    """The request's tools in the chat-completions shape the trace UI reads, or None.

    A Responses API function tool is flat (`{"type": "function", "name": ...}`); MLflow nests
    it under "function" and lists a built-in tool as a function named after its type, so both
    APIs' spans read alike.
    """
    if not isinstance(tools, list) or not tools:
        return None
    out: list[Any] = []
    for tool in tools:
        if not isinstance(tool, dict):
            return None
        kind = tool.get("type", "function")
        if kind == "function":
            if "function" in tool:
                out.append(tool)
            else:
                definition = {k: v for k, v in tool.items() if k != "type"}
                out.append({"type": "function", "function": definition})
        elif kind in _RESPONSES_BUILT_IN_TOOLS:
            out.append({"type": "function", "function": {"name": kind}})
        else:
            return None
    return out


def _finish(span: LiveSpan, completion: Any) -> None:
    data, _ = to_jsonable(completion)
    span.set_outputs(data)
    if isinstance(data, dict):
        _record_usage(span, data)
    span.end()


def _record_usage(span: LiveSpan, completion: dict[str, Any]) -> None:
    model = completion.get("model") or span.get_attribute("model")
    if model:
        span.set_attribute(SpanAttributeKey.MODEL, model)
    usage = completion.get("usage")
    if not isinstance(usage, dict):
        return
    # A chat completion counts prompt/completion tokens, a Responses API response input/output.
    responses_api = completion.get("object") == "response"
    counts: dict[str, int] = {}
    for ours, theirs in (
        (TokenUsageKey.INPUT_TOKENS, "input_tokens" if responses_api else "prompt_tokens"),
        (TokenUsageKey.OUTPUT_TOKENS, "output_tokens" if responses_api else "completion_tokens"),
        (TokenUsageKey.TOTAL_TOKENS, "total_tokens"),
    ):
        if isinstance(usage.get(theirs), int):
            counts[ours] = usage[theirs]
    details = usage.get("input_tokens_details" if responses_api else "prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    if isinstance(cached, int):
        counts[TokenUsageKey.CACHE_READ_INPUT_TOKENS] = cached
    if counts:
        span.set_attribute(SpanAttributeKey.CHAT_USAGE, counts)


def _fail(span: LiveSpan, exc: BaseException) -> None:
    span.record_exception(exc)
    span.end()


def _traced_sync(original: Callable[..., Any], responses_api: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        span = _open(self, kwargs)
        try:
            result = original(self, *args, **kwargs)
        except BaseException as exc:
            _fail(span, exc)
            raise
        if kwargs.get("stream"):
            return TracedStream(result, _StreamRecorder(span, _accumulator(span, responses_api)))
        _finish(span, result)
        return result

    return create


def _traced_async(original: Callable[..., Any], responses_api: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    async def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        span = _open(self, kwargs)
        try:
            result = await original(self, *args, **kwargs)
        except BaseException as exc:
            _fail(span, exc)
            raise
        if kwargs.get("stream"):
            return AsyncTracedStream(
                result, _StreamRecorder(span, _accumulator(span, responses_api))
            )
        _finish(span, result)
        return result

    return create


class _Accumulator(Protocol):
    def add(self, chunk: Any) -> None: ...

    def completion(self) -> dict[str, Any]: ...


def _accumulator(span: LiveSpan, responses_api: bool) -> _Accumulator:
    return _ResponseEventAccumulator(span) if responses_api else _ChunkAccumulator(span)


def _record_chunk(span: LiveSpan, index: int, chunk: Any) -> Any:
    """Keep a streamed chunk as a span event, as MLflow does; returns it as JSON data."""
    data, _ = to_jsonable(chunk)
    span.add_event(
        STREAM_CHUNK_EVENT_NAME_FORMAT.format(index=index),
        # Event attributes are plain strings in OpenTelemetry, so the chunk is JSON text.
        {STREAM_CHUNK_EVENT_VALUE_KEY: json.dumps(data)},
    )
    return data


class _ChunkAccumulator:
    """Rebuilds a chat.completion from streamed chunks: a streamed span looks like a plain one.

    Each chunk is also kept as a span event, as MLflow records it.
    """

    def __init__(self, span: LiveSpan) -> None:
        self.span = span
        self.count = 0
        self.base: dict[str, Any] = {}
        self.choices: dict[int, dict[str, Any]] = {}
        self.usage: dict[str, Any] | None = None

    def add(self, chunk: Any) -> None:
        data = _record_chunk(self.span, self.count, chunk)
        self.count += 1
        if not isinstance(data, dict):
            return
        for key in ("id", "model", "created", "system_fingerprint"):
            if data.get(key) is not None:
                self.base[key] = data[key]
        if data.get("usage"):
            self.usage = data["usage"]
        for choice in data.get("choices") or []:
            slot = self.choices.setdefault(
                choice.get("index", 0),
                {"index": choice.get("index", 0), "content": [], "finish_reason": None},
            )
            delta = choice.get("delta") or {}
            if delta.get("content"):
                slot["content"].append(delta["content"])
            if choice.get("finish_reason"):
                slot["finish_reason"] = choice["finish_reason"]

    def completion(self) -> dict[str, Any]:
        return {
            **self.base,
            "object": "chat.completion",
            "choices": [
                {
                    "index": c["index"],
                    "message": {"role": "assistant", "content": "".join(c["content"])},
                    "finish_reason": c["finish_reason"],
                }
                for _, c in sorted(self.choices.items())
            ],
            "usage": self.usage,
        }


# The fields of the response MLflow rebuilds from a stream that ended without
# `response.completed`: only the output items are known, the rest stays null.
_PARTIAL_RESPONSE_FIELDS = (
    "tool_choice",
    "truncation",
    "id",
    "created_at",
    "error",
    "incomplete_details",
    "instructions",
    "metadata",
    "model",
    "parallel_tool_calls",
    "temperature",
    "tools",
    "top_p",
    "max_output_tokens",
    "previous_response_id",
    "reasoning",
    "status",
    "text",
    "usage",
    "user",
)


class _ResponseEventAccumulator:
    """The output of a streamed Responses API call, taken from its events as MLflow does.

    A stream whose last event is `response.completed` carries the whole response there; any
    other ending (the caller stopped early, the stream failed) keeps the finished output items.
    """

    def __init__(self, span: LiveSpan) -> None:
        self.span = span
        self.count = 0
        self.last: Any = None
        self.items: list[Any] = []

    def add(self, chunk: Any) -> None:
        data = _record_chunk(self.span, self.count, chunk)
        self.count += 1
        self.last = data
        if isinstance(data, dict) and data.get("type") == "response.output_item.done":
            self.items.append(data.get("item"))

    def completion(self) -> dict[str, Any]:
        last = self.last
        if isinstance(last, dict) and last.get("type") == "response.completed":
            response = last.get("response")
            if isinstance(response, dict):
                return response
        partial: dict[str, Any] = dict.fromkeys(_PARTIAL_RESPONSE_FIELDS)
        return {**partial, "object": "response", "output": self.items}


class _StreamRecorder:
    def __init__(self, span: LiveSpan, chunks: _Accumulator) -> None:
        self.span = span
        self.chunks = chunks
        self.done = False

    def finish(self, exc: BaseException | None = None) -> None:
        if self.done:
            return
        self.done = True
        if exc is not None:
            self.span.record_exception(exc)
        completion = self.chunks.completion()
        self.span.set_outputs(completion)
        _record_usage(self.span, completion)
        self.span.end()


class TracedStream:
    """Stands in for openai's Stream; the span ends when the stream is exhausted or closed."""

    def __init__(self, stream: Any, recorder: _StreamRecorder) -> None:
        self._stream = stream
        self._recorder = recorder
        self._iterator: Iterator[Any] | None = None

    def __iter__(self) -> Iterator[Any]:
        try:
            for chunk in self._stream:
                self._recorder.chunks.add(chunk)
                yield chunk
        except Exception as exc:
            self._recorder.finish(exc)
            raise
        self._recorder.finish()

    def __next__(self) -> Any:
        if self._iterator is None:
            self._iterator = iter(self)
        return next(self._iterator)

    def __enter__(self) -> TracedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()
        self._recorder.finish()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class AsyncTracedStream:
    def __init__(self, stream: Any, recorder: _StreamRecorder) -> None:
        self._stream = stream
        self._recorder = recorder
        self._iterator: AsyncIterator[Any] | None = None

    async def __aiter__(self) -> AsyncIterator[Any]:
        try:
            async for chunk in self._stream:
                self._recorder.chunks.add(chunk)
                yield chunk
        except Exception as exc:
            self._recorder.finish(exc)
            raise
        self._recorder.finish()

    async def __anext__(self) -> Any:
        if self._iterator is None:
            self._iterator = self.__aiter__()
        return await self._iterator.__anext__()

    async def __aenter__(self) -> AsyncTracedStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def close(self) -> None:
        await self._stream.close()
        self._recorder.finish()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
