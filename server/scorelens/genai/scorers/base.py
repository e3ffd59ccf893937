"""`Scorer` and `@scorer`, as MLflow's `mlflow.genai.scorers.base` defines them.

A `Scorer` is a pydantic model, as in MLflow: a subclass declares typed fields (`name: str =
"x"`, `min_length: int = 50`), is constructed with or without keyword arguments, and implements
`__call__` taking any of `inputs`, `outputs`, `expectations` and `trace` by name. `@scorer` turns
a function into such a scorer. `Scorer.run` has MLflow's semantics: it returns what the scorer
returned and raises what it raised; `evaluate` and the editor's worker use
`scorelens.genai.scorer_runs`, which turns every outcome into Feedback and never raises.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, overload

from pydantic import BaseModel, PrivateAttr, field_validator

from scorelens.entities import Assessment, Feedback, Trace
from scorelens.entities.assessment import DEFAULT_FEEDBACK_NAME
from scorelens.genai.aggregations import Aggregation, validate

# What a scorer may declare, by name; `evaluate` supplies each from the row or its trace.
SCORER_PARAMETERS = ("inputs", "outputs", "expectations", "trace")


def unknown_parameter_message(scorer_name: str, parameter: str) -> str:
    """What is wrong with a required parameter outside SCORER_PARAMETERS: said the same way by
    the editor's diagnostic (read from source) and by the run's error (read from the function)."""
    return (
        f"scorer '{scorer_name}' has parameter '{parameter}', which ScoreLens cannot supply; "
        f"a scorer may take {', '.join(SCORER_PARAMETERS)}"
    )


SUPPORTED_RETURNS = "int, float, bool, str, Feedback, or list[Feedback]"


class Scorer(BaseModel):
    """A metric over one row of eval data: a pydantic model whose `__call__` does the scoring.

    Example (MLflow's "Define scorers with the Scorer class")::

        class CustomScorer(Scorer):
            name: str = "response_quality"
            my_custom_field_1: int = 50

            def __call__(self, outputs: str) -> Feedback:
                return Feedback(value=True, rationale="Response meets all quality criteria")

    `aggregations` (names among min, max, mean, median, variance, p90, or callables taking the
    list of values) say which figures `evaluate` reports; None means mean.
    """

    name: str
    aggregations: list[Aggregation] | None = None
    description: str | None = None

    @field_validator("aggregations")
    @classmethod
    def _check_aggregations(cls, value: list[Aggregation] | None) -> list[Aggregation] | None:
        if value is not None:
            validate(value)
        return value

    def run(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: dict[str, Any] | None = None,
        trace: Trace | None = None,
    ) -> Any:
        """Call the scorer with the parameters it declares; return what it returned.

        As MLflow's: an exception from the scorer propagates, a return value of an unsupported
        type raises ValueError, and a Feedback left with the default name is named after the
        scorer. None stays None and a list stays a list.
        """
        available = {
            "inputs": inputs,
            "outputs": outputs,
            "expectations": expectations,
            "trace": trace,
        }
        declared = inspect.signature(call_target(self)).parameters
        result = self(**{k: v for k, v in available.items() if k in declared})
        if not (
            result is None
            or isinstance(result, (int, float, bool, str, Assessment))
            or (isinstance(result, list) and all(isinstance(r, Assessment) for r in result))
        ):
            if isinstance(result, list) and result:
                kind = "list[" + type(result[0]).__name__ + "]"
            else:
                kind = type(result).__name__
            raise ValueError(f"{self.name} must return one of {SUPPORTED_RETURNS}. Got {kind}")
        if isinstance(result, Feedback) and result.name == DEFAULT_FEEDBACK_NAME:
            # Named after the scorer, as a failing run's error is: one name either way.
            result.name = self.name
        return result

    def __call__(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: dict[str, Any] | None = None,
        trace: Trace | None = None,
    ) -> Any:
        """The scoring itself: a subclass implements it, declaring only the parameters it needs.

        It returns a bool, int, float, str (`"yes"`/`"no"` count as 1/0), a Feedback, a list of
        named Feedback, or None to abstain.
        """
        raise NotImplementedError("Implementation of __call__ is required for Scorer class")


def call_target(scorer: Scorer) -> Callable[..., Any]:
    """What actually runs when the scorer is called: the decorated function, or `__call__`.

    Its signature says which parameters the scorer takes, and a traceback that starts in it
    starts in the user's code.
    """
    original = getattr(scorer, "_original_func", None)
    return original if callable(original) else scorer.__call__


_F = TypeVar("_F", bound=Callable[..., Any])


@overload
def scorer(
    func: _F,
    *,
    name: str | None = None,
    description: str | None = None,
    aggregations: Sequence[Aggregation] | None = None,
) -> Scorer: ...
@overload
def scorer(
    func: None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    aggregations: Sequence[Aggregation] | None = None,
) -> Callable[[_F], Scorer]: ...
def scorer(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    aggregations: Sequence[Aggregation] | None = None,
) -> Scorer | Callable[[Callable[..., Any]], Scorer]:
    """Decorator, bare or with `name=`, `description=` and `aggregations=`: a function as a Scorer.

    The function declares any of `inputs`, `outputs`, `expectations` and `trace`; the scorer
    stays callable like it (`my_scorer(outputs="...")`).
    """
    if func is None:
        return functools.partial(
            scorer, name=name, description=description, aggregations=aggregations
        )
    wrapped = func

    # A class per function, as MLflow makes: its `__call__` carries the function's signature
    # and docstring, so introspection sees the function.
    class CustomScorer(Scorer):
        _original_func: Callable[..., Any] | None = PrivateAttr(default=None)

        def __init__(self, **data: Any) -> None:
            super().__init__(**data)
            self._original_func = wrapped

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return wrapped(*args, **kwargs)

    signature = inspect.signature(func)
    CustomScorer.__call__.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            *signature.parameters.values(),
        ]
    )
    CustomScorer.__doc__ = func.__doc__
    return CustomScorer(
        name=name or func.__name__,
        description=description,
        aggregations=None if aggregations is None else list(aggregations),
    )


__all__ = ["Scorer", "scorer"]
