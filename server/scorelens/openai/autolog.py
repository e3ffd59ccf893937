"""Patch the openai SDK so each chat completion is recorded as a CHAT_MODEL span.

Works on the class methods, so clients created before or after `autolog()` are both traced.
The span is MLflow's: named "Completions", the request's keyword arguments as inputs and (but
for `messages`) as attributes, `mlflow.message.format` "openai", and from the response
`mlflow.llm.model` and the token usage under `mlflow.chat.tokenUsage`
(`{"input_tokens", "output_tokens", "total_tokens"}`), which the trace sums into
`trace.info.token_usage`.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from scorelens.entities import SpanType
from scorelens.tracing.constant import SpanAttributeKey, TokenUsageKey
from scorelens.tracing.context import LiveSpan, open_span
from scorelens.tracing.serialize import to_jsonable

SPAN_NAME = "Completions"
_SECRET_KWARGS = frozenset(
    {"extra_headers", "extra_query", "timeout", "api_key", "default_headers"}
)

_originals: dict[str, Callable[..., Any]] = {}


def autolog(disable: bool = False) -> None:
    """Trace `chat.completions.create` (sync, async, streaming); `disable=True` undoes it."""
    from openai.resources.chat.completions import AsyncCompletions, Completions

    if disable:
        if "sync" in _originals:
            Completions.create = _originals.pop("sync")  # type: ignore[method-assign]
        if "async" in _originals:
            AsyncCompletions.create = _originals.pop("async")  # type: ignore[method-assign]
        return
    if "sync" not in _originals:
        _originals["sync"] = Completions.create
        Completions.create = _traced_sync(Completions.create)  # type: ignore[method-assign]
    if "async" not in _originals:
        _originals["async"] = AsyncCompletions.create
        AsyncCompletions.create = _traced_async(AsyncCompletions.create)  # type: ignore[method-assign]


def _request_inputs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in kwargs.items()
        if k not in _SECRET_KWARGS and "key" not in k.lower() and "header" not in k.lower()
    }


def _open(kwargs: dict[str, Any]) -> LiveSpan:
    span = open_span(SPAN_NAME, SpanType.CHAT_MODEL)
    inputs = _request_inputs(kwargs)
    span.set_inputs(inputs)
    span.set_attributes({k: v for k, v in inputs.items() if k not in ("messages", "input")})
    span.set_attribute(SpanAttributeKey.MESSAGE_FORMAT, "openai")
    return span


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
    counts: dict[str, int] = {}
    for ours, theirs in (
        (TokenUsageKey.INPUT_TOKENS, "prompt_tokens"),
        (TokenUsageKey.OUTPUT_TOKENS, "completion_tokens"),
        (TokenUsageKey.TOTAL_TOKENS, "total_tokens"),
    ):
        if isinstance(usage.get(theirs), int):
            counts[ours] = usage[theirs]
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    if isinstance(cached, int):
        counts[TokenUsageKey.CACHE_READ_INPUT_TOKENS] = cached
    if counts:
        span.set_attribute(SpanAttributeKey.CHAT_USAGE, counts)


def _fail(span: LiveSpan, exc: BaseException) -> None:
    span.record_exception(exc)
    span.end()


def _traced_sync(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        span = _open(kwargs)
        try:
            result = original(self, *args, **kwargs)
        except BaseException as exc:
            _fail(span, exc)
            raise
        if kwargs.get("stream"):
            return TracedStream(result, span)
        _finish(span, result)
        return result

    return create


def _traced_async(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        span = _open(kwargs)
        try:
            result = await original(self, *args, **kwargs)
        except BaseException as exc:
            _fail(span, exc)
            raise
        if kwargs.get("stream"):
            return AsyncTracedStream(result, span)
        _finish(span, result)
        return result

    return create


class _ChunkAccumulator:
    """Rebuilds a chat.completion from streamed chunks: a streamed span looks like a plain one."""

    def __init__(self) -> None:
        self.base: dict[str, Any] = {}
        self.choices: dict[int, dict[str, Any]] = {}
        self.usage: dict[str, Any] | None = None

    def add(self, chunk: Any) -> None:
        data, _ = to_jsonable(chunk)
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


class _StreamRecorder:
    def __init__(self, span: LiveSpan) -> None:
        self.span = span
        self.chunks = _ChunkAccumulator()
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

    def __init__(self, stream: Any, span: LiveSpan) -> None:
        self._stream = stream
        self._recorder = _StreamRecorder(span)
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
    def __init__(self, stream: Any, span: LiveSpan) -> None:
        self._stream = stream
        self._recorder = _StreamRecorder(span)
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
