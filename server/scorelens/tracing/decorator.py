"""`@trace` and `start_span`: the user-facing ways to record spans."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, overload

from scorelens.entities import SpanType
from scorelens.tracing.context import LiveSpan, activate, deactivate, open_span

F = TypeVar("F", bound=Callable[..., Any])

TRACED_MARKER = "__scorelens_traced__"


@contextmanager
def start_span(
    name: str = "span",
    span_type: SpanType | str = SpanType.UNKNOWN,
    attributes: dict[str, Any] | None = None,
) -> Iterator[LiveSpan]:
    """Record a block of code as a span; an exception marks it ERROR and propagates."""
    span = open_span(name, span_type, attributes)
    token = activate(span)
    try:
        yield span
    except BaseException as exc:
        span.record_exception(exc)
        raise
    finally:
        deactivate(token)
        span.end()


@overload
def trace(func: F) -> F: ...
@overload
def trace(
    func: None = None,
    *,
    name: str | None = None,
    span_type: SpanType | str = SpanType.UNKNOWN,
    attributes: dict[str, Any] | None = None,
) -> Callable[[F], F]: ...
def trace(
    func: F | None = None,
    *,
    name: str | None = None,
    span_type: SpanType | str = SpanType.UNKNOWN,
    attributes: dict[str, Any] | None = None,
) -> F | Callable[[F], F]:
    """Record each call of the function as a span: bound arguments in, return value out."""

    def decorate(fn: F) -> F:
        wrapper = _wrap(fn, name or fn.__name__, span_type, attributes)
        setattr(wrapper, TRACED_MARKER, True)
        return wrapper  # type: ignore[return-value]

    return decorate if func is None else decorate(func)


def _bound_inputs(signature: inspect.Signature, args: Any, kwargs: Any) -> dict[str, Any]:
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        # The call itself will raise the same TypeError; record what was passed.
        return {"args": list(args), "kwargs": dict(kwargs)}
    bound.apply_defaults()
    return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}


def _wrap(
    fn: Callable[..., Any],
    span_name: str,
    span_type: SpanType | str,
    attributes: dict[str, Any] | None,
) -> Callable[..., Any]:
    signature = inspect.signature(fn)

    def begin(args: Any, kwargs: Any) -> LiveSpan:
        span = open_span(span_name, span_type, attributes)
        span.set_inputs(_bound_inputs(signature, args, kwargs))
        return span

    if inspect.isasyncgenfunction(fn):

        @functools.wraps(fn)
        async def async_gen_wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            span = begin(args, kwargs)
            agen = fn(*args, **kwargs)
            items: list[Any] = []
            try:
                while True:
                    token = activate(span)
                    try:
                        item = await agen.__anext__()
                    except StopAsyncIteration:
                        break
                    finally:
                        deactivate(token)
                    items.append(item)
                    yield item
            except BaseException as exc:
                if not isinstance(exc, GeneratorExit):
                    span.record_exception(exc)
                await agen.aclose()
                raise
            finally:
                span.set_outputs(items)
                span.end()

        return async_gen_wrapper

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            span = begin(args, kwargs)
            token = activate(span)
            try:
                result = await fn(*args, **kwargs)
            except BaseException as exc:
                span.record_exception(exc)
                raise
            else:
                span.set_outputs(result)
                return result
            finally:
                deactivate(token)
                span.end()

        return async_wrapper

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            span = begin(args, kwargs)
            gen = fn(*args, **kwargs)
            items: list[Any] = []
            try:
                while True:
                    # The body runs with this span active only while it is executing, so
                    # spans opened by the consumer between items are not parented here.
                    token = activate(span)
                    try:
                        item = next(gen)
                    except StopIteration:
                        break
                    finally:
                        deactivate(token)
                    items.append(item)
                    yield item
            except BaseException as exc:
                if not isinstance(exc, GeneratorExit):
                    span.record_exception(exc)
                gen.close()
                raise
            finally:
                span.set_outputs(items)
                span.end()

        return gen_wrapper

    @functools.wraps(fn)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        span = begin(args, kwargs)
        token = activate(span)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            span.record_exception(exc)
            raise
        else:
            span.set_outputs(result)
            return result
        finally:
            deactivate(token)
            span.end()

    return sync_wrapper
