"""The long-lived worker's shortcut for a repeated model call: the SDK's answer, kept in memory.

A cached call answered at the HTTP layer (interception.py) still pays for the openai SDK
building the request and parsing the reply, about half a millisecond, which is most of a
re-score of 1,000 traces after an edit of a judge's parsing. Here `create` itself is wrapped:
inside a scorer, with the cache on, a call the SDK made before with the same arguments (and
client base URL) returns the object the SDK built then, as long as the cache it came from
has not been cleared since (its generation, read when a run starts, is the same). Streams are
single-use and are left to the HTTP layer; so are calls whose arguments have no stable text
form. The object is shared: a scorer that changes the reply it was given changes it for the
rows after it too.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from scorelens.judging.interception import JudgeCall, current_scope

_MEMO_LIMIT = 50_000


@dataclasses.dataclass(frozen=True)
class _Kept:
    response: Any
    call: JudgeCall
    generation: str | None  # of the judge-call cache that held the answer


_memo: dict[str, _Kept] = {}
_lock = threading.Lock()


def install() -> None:
    """Wrap the SDK's chat-completion and Responses `create` (sync and async)."""
    from openai.resources.chat.completions import AsyncCompletions, Completions

    targets: list[tuple[type, str, bool]] = [
        (Completions, "chat", False),
        (AsyncCompletions, "chat", True),
    ]
    try:
        from openai.resources.responses import AsyncResponses, Responses
    except ImportError:  # the Responses API arrived in openai 1.66
        pass
    else:
        targets += [(Responses, "responses", False), (AsyncResponses, "responses", True)]
    for cls, endpoint, is_async in targets:
        original = cls.create  # type: ignore[attr-defined]
        wrapped = _async_create if is_async else _sync_create
        cls.create = wrapped(endpoint, original)  # type: ignore[attr-defined]


def _key(endpoint: str, resource: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    if args or kwargs.get("stream") is True:
        return None
    client = getattr(resource, "_client", None)
    try:
        return json.dumps(
            [endpoint, str(getattr(client, "base_url", "")), kwargs],
            sort_keys=True,
            default=_stable_text,
        )
    except (TypeError, ValueError):
        return None


def _stable_text(value: Any) -> str:
    # The SDK's "not given" sentinel, and classes (a response format), read the same every run;
    # an object whose text holds its address would not, so it makes no key.
    if type(value).__name__ in ("NotGiven", "Omit"):
        return "<not given>"
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    raise TypeError(type(value).__name__)


def _hit(key: str | None) -> _Kept | None:
    scope = current_scope()
    if key is None or scope is None or scope.cache is None:
        return None
    kept = _memo.get(key)
    if kept is None or kept.generation is None or kept.generation != scope.cache.generation:
        return None  # not seen, or seen before the cache was cleared
    return kept


def _answered(kept: _Kept, started: float) -> Any:
    scope = current_scope()
    assert scope is not None
    latency = (time.perf_counter() - started) * 1000
    began_ns = time.time_ns() - round(latency * 1_000_000)
    scope.calls.append(
        dataclasses.replace(kept.call, cached=True, latency_ms=latency, started_ns=began_ns)
    )
    return kept.response


def _keep(key: str | None, before: int, response: Any) -> None:
    """Remember the SDK's answer when this one call went through the cache's HTTP layer."""
    scope = current_scope()
    if key is None or scope is None or scope.cache is None or scope.last_key is None:
        return
    if len(scope.calls) != before + 1:
        return
    with _lock:
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        _memo[key] = _Kept(response, scope.calls[-1], scope.cache.generation)


@dataclasses.dataclass(frozen=True)
class _Asked:
    """A `create` call before it reaches the SDK: its memo key, its remembered answer if any,
    and how many calls the scope had recorded (to tell whether this one was recorded)."""

    started: float
    key: str | None
    kept: _Kept | None
    before: int


def _ask(endpoint: str, resource: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Asked:
    started = time.perf_counter()
    # Keys only where they can be used: inside a scorer, with the cache on.
    scope = current_scope()
    use = scope is not None and scope.cache is not None
    key = _key(endpoint, resource, args, kwargs) if use else None
    kept = _hit(key)
    before = len(scope.calls) if scope is not None else 0
    if kept is None and scope is not None:
        scope.last_key = None
    return _Asked(started, key, kept, before)


def _sync_create(endpoint: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = _ask(endpoint, self, args, kwargs)
        if asked.kept is not None:
            return _answered(asked.kept, asked.started)
        response = original(self, *args, **kwargs)
        _keep(asked.key, asked.before, response)
        return response

    return create


def _async_create(endpoint: str, original: Callable[..., Any]) -> Callable[..., Any]:
    async def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = _ask(endpoint, self, args, kwargs)
        if asked.kept is not None:
            return _answered(asked.kept, asked.started)
        response = await original(self, *args, **kwargs)
        _keep(asked.key, asked.before, response)
        return response

    return create
