"""Seeing the model calls a scorer makes: the openai SDK's HTTP requests, inside a scorer only.

The openai SDK sends every request through its HTTP library's `Client.send` /
`AsyncClient.send` (httpx, or httpx2 in newer SDKs). Those are wrapped once; the wrapper acts
only inside `judge_calls_recorded()` (which the scorer runner opens around each scorer call) and
only on the SDK's chat-completion and Responses requests. There it answers from the cache when
it holds the request, else lets the request go, keeps a successful answer, and records the call.
Calls the app makes (predict_fn, generating traces) happen outside any scope and are untouched;
so are retries: the SDK retries a 429 or 5xx above this layer, and only a success is kept.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scorelens.entities.span import SpanType
from scorelens.judging.cache import CachedAnswer, JudgeCache, request_key
from scorelens.judging.replies import Reading, read_answer, read_request
from scorelens.tracing.constant import SpanAttributeKey, TokenUsageKey
from scorelens.tracing.span_data import SpanData

_MODEL_PATHS = ("/chat/completions", "/responses")


# How a judge span names its model call, as MLflow's OpenAI autologging names the SDK's class.
_SPAN_NAMES = {"chat": "Completions", "responses": "Responses"}
CACHED_ATTRIBUTE = "scorelens.judge.cached"


@dataclass
class JudgeCall:
    model: str
    input_tokens: int | None
    output_tokens: int | None
    latency_ms: float
    cached: bool  # answered from the judge-call cache: no request was made
    prompt: str
    reply: str
    endpoint: str = "chat"  # "chat" (chat completions) or "responses"
    started_ns: int = 0  # wall clock, since the epoch

    def to_span(self, trace_id: str) -> SpanData:
        """The call as a CHAT_MODEL span of the scorer's result on `trace_id`, with MLflow's
        attributes (model, token usage) and whether the cache answered it. Its inputs are the
        prompt as sent (the messages or input, as JSON text), its outputs the reply's text."""
        attributes: dict[str, Any] = {
            SpanAttributeKey.SPAN_TYPE: SpanType.CHAT_MODEL.value,
            SpanAttributeKey.MODEL: self.model,
            CACHED_ATTRIBUTE: self.cached,
        }
        if self.input_tokens is not None or self.output_tokens is not None:
            attributes[SpanAttributeKey.CHAT_USAGE] = {
                TokenUsageKey.INPUT_TOKENS: self.input_tokens,
                TokenUsageKey.OUTPUT_TOKENS: self.output_tokens,
                TokenUsageKey.TOTAL_TOKENS: (self.input_tokens or 0) + (self.output_tokens or 0),
            }
        return {
            "trace_id": trace_id,
            "span_id": os.urandom(8).hex(),
            "parent_id": None,
            "name": _SPAN_NAMES.get(self.endpoint, self.endpoint),
            "span_type": SpanType.CHAT_MODEL.value,
            "start_time_ns": self.started_ns,
            "end_time_ns": self.started_ns + round(self.latency_ms * 1_000_000),
            "status": {"code": "OK", "message": ""},
            "inputs": self.prompt,
            "outputs": self.reply,
            "attributes": attributes,
            "events": [],
        }


@dataclass
class _Scope:
    cache: JudgeCache | None
    calls: list[JudgeCall] = field(default_factory=list)
    last_key: str | None = None  # the cache entry of the last call answered or kept

    def record(
        self,
        request: Any,
        reading: Reading,
        content_type: str,
        body: bytes,
        started: tuple[int, float],
        cached: bool,
    ) -> None:
        read_answer(reading, content_type, body)
        wall_ns, perf = started
        self.calls.append(
            JudgeCall(
                model=reading.model,
                input_tokens=reading.input_tokens,
                output_tokens=reading.output_tokens,
                latency_ms=(time.perf_counter() - perf) * 1000,
                cached=cached,
                prompt=reading.prompt,
                reply=reading.reply,
                endpoint="responses" if request.url.path.endswith("/responses") else "chat",
                started_ns=wall_ns,
            )
        )


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("judge_scope", default=None)


def current_scope() -> _Scope | None:
    return _scope.get()


_installed = False
_install_lock = threading.Lock()


class judge_calls_recorded:
    """Within: the openai SDK's model calls are recorded in the list it gives, and answered
    from `cache` when it holds them (None: always asked, still recorded).

    A class rather than a generator-based context manager: it wraps every row a scorer
    scores, and this costs a third as much.
    """

    __slots__ = ("_scope", "_token")

    def __init__(self, cache: JudgeCache | None) -> None:
        if not _installed:
            _install()
        self._scope = _Scope(cache)

    def __enter__(self) -> list[JudgeCall]:
        self._token = _scope.set(self._scope)
        return self._scope.calls

    def __exit__(self, *exc_info: object) -> None:
        _scope.reset(self._token)


def prepare() -> None:
    """Import the openai SDK now, if it is installed, and start watching it: a scorer that
    imports it inside its body then has its first calls seen too. Costs the SDK's import
    (a few hundred ms), so the worker does it while warming up, not on a save."""
    try:
        import openai  # noqa: F401
    except ImportError:
        return
    _install()


def _install() -> None:
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        if "openai" not in sys.modules:
            return  # not imported yet: nothing can call it; checked again at the next scope
        from openai import _base_client

        from scorelens.judging import sdk_memo

        library = getattr(_base_client, "httpx2", None) or getattr(_base_client, "httpx", None)
        if library is not None:
            library.Client.send = _sync_send(library, library.Client.send)
            library.AsyncClient.send = _async_send(library, library.AsyncClient.send)
        sdk_memo.install()
        _installed = True


def _is_model_call(request: Any) -> bool:
    # The SDK's user agent is its client's class name: OpenAI/Python 1.2.3, AsyncOpenAI/...,
    # AzureOpenAI/..., AsyncAzureOpenAI/...
    client_name = request.headers.get("user-agent", "").split("/", 1)[0]
    return bool(
        request.method == "POST"
        and client_name.endswith("OpenAI")
        and request.url.path.endswith(_MODEL_PATHS)
    )


def _lookup(scope: _Scope, request: Any) -> tuple[str | None, CachedAnswer | None]:
    if scope.cache is None:
        return None, None
    key = request_key(request.method, str(request.url), request.content)
    answer = scope.cache.get(key)
    if answer is not None:
        scope.last_key = key
    return key, answer


def _replayed(library: Any, request: Any, answer: CachedAnswer) -> Any:
    return library.Response(
        answer.status,
        headers={"content-type": answer.content_type},
        content=answer.body,
        request=request,
    )


def _keep(scope: _Scope, key: str | None, response: Any, body: bytes) -> str:
    content_type = str(response.headers.get("content-type", ""))
    if key is not None and scope.cache is not None:
        scope.cache.put(key, CachedAnswer(response.status_code, content_type, body))
        scope.last_key = key
    return content_type


def _sync_send(library: Any, original: Callable[..., Any]) -> Callable[..., Any]:
    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        scope = _scope.get()
        if scope is None or not _is_model_call(request):
            return original(self, request, *args, **kwargs)
        reading = read_request(request.content)
        started = (time.time_ns(), time.perf_counter())
        key, cached = _lookup(scope, request)
        if cached is not None:
            scope.record(request, reading, cached.content_type, cached.body, started, cached=True)
            return _replayed(library, request, cached)
        response = original(self, request, *args, **kwargs)
        if not 200 <= response.status_code < 300:
            return response  # the SDK retries or raises; only an answer is kept
        body = response.read()  # a stream too: the SDK then reads it from memory
        content_type = _keep(scope, key, response, body)
        scope.record(request, reading, content_type, body, started, cached=False)
        return response

    return send


def _async_send(library: Any, original: Callable[..., Any]) -> Callable[..., Any]:
    async def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        scope = _scope.get()
        if scope is None or not _is_model_call(request):
            return await original(self, request, *args, **kwargs)
        reading = read_request(request.content)
        started = (time.time_ns(), time.perf_counter())
        key, cached = _lookup(scope, request)
        if cached is not None:
            scope.record(request, reading, cached.content_type, cached.body, started, cached=True)
            return _replayed(library, request, cached)
        response = await original(self, request, *args, **kwargs)
        if not 200 <= response.status_code < 300:
            return response
        body = await response.aread()
        content_type = _keep(scope, key, response, body)
        scope.record(request, reading, content_type, body, started, cached=False)
        return response

    return send
