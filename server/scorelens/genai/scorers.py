"""`@scorer`: turn a plain function into a metric that runs on traces.

A scorer declares, by parameter name, any of `inputs`, `outputs`, `expectations` and `trace`; it
is bound by name, so order does not matter and unused ones need not be declared.
"""

from __future__ import annotations

import functools
import inspect
import json
import traceback
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any, overload

from scorelens.entities import Feedback, Trace
from scorelens.entities.feedback import describe_exception
from scorelens.genai.aggregations import DEFAULT_AGGREGATIONS, Aggregation, validate

SCORER_PARAMETERS = ("inputs", "outputs", "expectations", "trace")
# Feedback.source["error_kind"] on failures ScoreLens itself detected, so tools can place them.
ERROR_KIND_PARAMETER = "parameter"
ERROR_KIND_EXCEPTION = "exception"
ERROR_KIND_RETURN_TYPE = "return_type"
SUPPORTED_RETURNS = "bool, int, float, str, Feedback, list[Feedback] or None"
# MLflow's FeedbackValueType; anything else cannot be stored with the trace.
SUPPORTED_FEEDBACK_VALUES = "bool, int, float, str, or a list or dict of those"
_JSON_SCALARS = (type(None), bool, int, float, str)


class Scorer:
    """A scorer: callable like the function it wraps, and runnable against one trace."""

    def __init__(
        self,
        func: Callable[..., Any],
        name: str | None = None,
        aggregations: Sequence[Aggregation] | None = None,
    ) -> None:
        self.func = func
        self.name = name or func.__name__
        self.aggregations: list[Aggregation] = list(aggregations or DEFAULT_AGGREGATIONS)
        validate(self.aggregations)
        functools.update_wrapper(self, func)
        self._signature = inspect.signature(func)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Scorer {self.name}>"

    def unknown_parameters(self) -> list[str]:
        """Required parameters ScoreLens cannot supply."""
        return [
            p.name
            for p in self._signature.parameters.values()
            if p.name not in SCORER_PARAMETERS
            and p.default is inspect.Parameter.empty
            and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        ]

    def _arguments(self, available: dict[str, Any]) -> dict[str, Any]:
        params = self._signature.parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return dict(available)
        return {k: v for k, v in available.items() if k in params}

    def run(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: dict[str, Any] | None = None,
        trace: Trace | None = None,
    ) -> list[Feedback]:
        """Score one trace; never raises - failures come back as Feedback with `error` set."""
        unknown = self.unknown_parameters()
        if unknown:
            return [
                self._error(
                    ERROR_KIND_PARAMETER,
                    f"scorer '{self.name}' has parameter '{unknown[0]}', which ScoreLens cannot "
                    f"supply; a scorer may take {', '.join(SCORER_PARAMETERS)}",
                )
            ]
        arguments = self._arguments(
            {"inputs": inputs, "outputs": outputs, "expectations": expectations, "trace": trace}
        )
        try:
            value = self.func(**arguments)
        except Exception as exc:
            # Drop this frame: the stack trace should start in the user's scorer.
            user_tb = exc.__traceback__.tb_next if exc.__traceback__ else None
            stack = "".join(traceback.format_exception(type(exc), exc, user_tb))
            return [self._error(ERROR_KIND_EXCEPTION, f"{type(exc).__name__}: {exc}", stack)]
        return self._to_feedback(value)

    def _error(self, kind: str, message: str, stack_trace: str | None = None) -> Feedback:
        return Feedback(
            name=self.name, error=message, stack_trace=stack_trace, source={"error_kind": kind}
        )

    def _to_feedback(self, value: Any) -> list[Feedback]:
        if isinstance(value, Feedback):
            return [self._checked(value, self.name)]
        if isinstance(value, list) and value and all(isinstance(v, Feedback) for v in value):
            many = len(value) > 1
            return [
                self._checked(v, f"{self.name}/{i}" if many else self.name)
                for i, v in enumerate(value)
            ]
        if value is None or isinstance(value, (bool, str)):
            return [Feedback(name=self.name, value=value)]
        if isinstance(value, Real):
            # numpy scalars and friends become plain numbers so they store as JSON.
            plain = int(value) if isinstance(value, int) else float(value)
            return [Feedback(name=self.name, value=plain)]
        kind = type(value).__name__
        if isinstance(value, list):
            kind = "list containing " + ", ".join(
                sorted({type(v).__name__ for v in value}) or ["nothing"]
            )
        return [
            self._error(
                ERROR_KIND_RETURN_TYPE,
                f"scorer '{self.name}' returned {kind}; a scorer must return {SUPPORTED_RETURNS}",
            )
        ]

    def _checked(self, feedback: Feedback, default_name: str) -> Feedback:
        """The scorer's own Feedback, named, or an error on its row when it cannot be stored."""
        if feedback.name is None:
            feedback.name = default_name
        error: Any = feedback.error
        if error is not None and not isinstance(error, str):
            # Assigned after construction, so Feedback.__init__ did not turn it into text.
            converted = Feedback(error=error if isinstance(error, BaseException) else str(error))
            feedback.error = converted.error
            feedback.stack_trace = feedback.stack_trace or converted.stack_trace
        value = feedback.value
        if type(value) not in _JSON_SCALARS and isinstance(value, Real):
            # numpy scalars and friends, as for a plain returned number.
            feedback.value = int(value) if isinstance(value, int) else float(value)
        problem = _unstorable(feedback)
        if problem is None:
            return feedback
        return Feedback(
            name=feedback.name,
            error=f"scorer '{self.name}' returned a Feedback whose {problem}",
            source={"error_kind": ERROR_KIND_RETURN_TYPE},
        )


def _unstorable(feedback: Feedback) -> str | None:
    """What keeps the Feedback out of the store, which keeps it as JSON; None when nothing."""
    parts = (
        ("value", feedback.value),
        ("metadata", feedback.metadata),
        ("rationale", feedback.rationale),
    )
    for what, part in parts:
        if type(part) in _JSON_SCALARS:
            continue
        try:
            json.dumps(part)
        except (TypeError, ValueError, RecursionError) as exc:
            must = SUPPORTED_FEEDBACK_VALUES if what == "value" else "plain JSON data"
            return f"{what} is not JSON-serializable ({describe_exception(exc)}); it must be {must}"
    return None


@overload
def scorer(func: Callable[..., Any]) -> Scorer: ...
@overload
def scorer(
    func: None = None,
    *,
    name: str | None = None,
    aggregations: Sequence[Aggregation] | None = None,
) -> Callable[[Callable[..., Any]], Scorer]: ...
def scorer(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    aggregations: Sequence[Aggregation] | None = None,
) -> Scorer | Callable[[Callable[..., Any]], Scorer]:
    """Decorator, bare or with `name=` and `aggregations=` (names or callables)."""

    def decorate(fn: Callable[..., Any]) -> Scorer:
        return Scorer(fn, name=name, aggregations=aggregations)

    return decorate if func is None else decorate(func)


__all__ = ["Scorer", "scorer"]
