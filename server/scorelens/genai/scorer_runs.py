"""Running a scorer on many rows, as `evaluate` and the editor's worker do: it never raises.

`Scorer.run` is MLflow's public API and raises what the scorer raised; here every outcome of one
row becomes Feedback, as MLflow's evaluation harness makes it (a value named after the scorer, an
error with code SCORER_ERROR), plus what ScoreLens needs to point at the cause: which kind of
failure it was and a one-line description naming the exception.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import traceback
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Real
from typing import Any, TypeVar

from scorelens.entities import AssessmentError, AssessmentSource, Feedback, Trace
from scorelens.entities.assessment import DEFAULT_FEEDBACK_NAME, describe_exception
from scorelens.entities.assessment_source import AssessmentSourceType
from scorelens.genai.scorers.base import (
    SCORER_PARAMETERS,
    Scorer,
    call_target,
    unknown_parameter_message,
)
from scorelens.tracing.context import TraceDestination, trace_destination

T = TypeVar("T")

# MLflow's error code for a scorer that raised (or returned what cannot be used).
SCORER_ERROR = "SCORER_ERROR"
# Why a row has an error, so the editor can place it: on a parameter, on the raising line, on
# the `def`; "feedback" when the scorer returned Feedback(error=...) itself.
ERROR_KIND_PARAMETER = "parameter"
ERROR_KIND_EXCEPTION = "exception"
ERROR_KIND_RETURN_TYPE = "return_type"
ERROR_KIND_FEEDBACK = "feedback"
SUPPORTED_RETURNS = "bool, int, float, str, Feedback, list[Feedback] or None"
# MLflow's FeedbackValueType; anything else cannot be stored with the trace.
SUPPORTED_FEEDBACK_VALUES = "bool, int, float, str, or a list or dict of those"
_JSON_SCALARS = (type(None), bool, int, float, str)
_PLAIN_VALUES = (bool, int, float, str)


@dataclass(slots=True)
class Verdict:
    """One Feedback a scorer gave for one row, with how ScoreLens shows an error in it."""

    feedback: Feedback
    error_kind: str | None = None
    error_text: str | None = None  # `ValueError: bad input`, where MLflow keeps only the message


class PreparedScorer:
    """A scorer made ready for many rows: its signature read once, every failure caught."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.name = scorer.name
        self._call = call_target(scorer)
        # One source for all this scorer's Feedback: nothing changes a source once made, and
        # making one per row was a fifth of the cost of scoring a trace.
        self._code_source = AssessmentSource(
            source_type=AssessmentSourceType.CODE, source_id=scorer.name
        )
        parameters = inspect.signature(self._call).parameters
        self._wanted = tuple(name for name in SCORER_PARAMETERS if name in parameters)
        self._unknown = [
            p.name
            for p in parameters.values()
            if p.name not in SCORER_PARAMETERS
            and p.default is inspect.Parameter.empty
            and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        ]

    @property
    def declared(self) -> tuple[str, ...]:
        """Which of inputs, outputs, expectations and trace it declares: the only values of a
        row it is given."""
        return self._wanted

    @property
    def is_async(self) -> bool:
        """An `async def` scorer: its rows are awaited on one event loop, not run in threads."""
        return inspect.iscoroutinefunction(self._call)

    def score(
        self,
        inputs: Any = None,
        outputs: Any = None,
        expectations: dict[str, Any] | None = None,
        trace: Trace | None = None,
    ) -> list[Verdict]:
        """The scorer's Feedback for one row: none when it returned None, errors as Feedback."""
        arguments = self._arguments(inputs, outputs, expectations, trace)
        if isinstance(arguments, Verdict):
            return [arguments]
        try:
            value = self._call(**arguments)
            if inspect.iscoroutine(value):
                value = run_to_end(value)  # an async scorer called outside a scorer pool
        except Exception as exc:
            return [self._raised(exc)]
        return self._verdicts(value)

    async def score_async(
        self,
        inputs: Any = None,
        outputs: Any = None,
        expectations: dict[str, Any] | None = None,
        trace: Trace | None = None,
    ) -> list[Verdict]:
        """`score` for an async scorer, awaited on the caller's event loop."""
        arguments = self._arguments(inputs, outputs, expectations, trace)
        if isinstance(arguments, Verdict):
            return [arguments]
        try:
            value = self._call(**arguments)
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:
            return [self._raised(exc)]
        return self._verdicts(value)

    def _arguments(
        self,
        inputs: Any,
        outputs: Any,
        expectations: dict[str, Any] | None,
        trace: Trace | None,
    ) -> dict[str, Any] | Verdict:
        if self._unknown:
            return self._failure(
                ERROR_KIND_PARAMETER, unknown_parameter_message(self.name, self._unknown[0])
            )
        available = {
            "inputs": inputs,
            "outputs": outputs,
            "expectations": expectations,
            "trace": trace,
        }
        return {name: available[name] for name in self._wanted}

    def _raised(self, exc: Exception) -> Verdict:
        # Without this frame, the stack trace starts in the user's scorer.
        user_tb = exc.__traceback__.tb_next if exc.__traceback__ else None
        stack = "".join(traceback.format_exception(type(exc), exc, user_tb))
        return self._failure(ERROR_KIND_EXCEPTION, str(exc), describe_exception(exc), stack)

    def _failure(
        self, kind: str, message: str, text: str | None = None, stack_trace: str | None = None
    ) -> Verdict:
        error = AssessmentError(
            error_code=SCORER_ERROR, error_message=message, stack_trace=stack_trace
        )
        feedback = Feedback(name=self.name, source=self._code_source, error=error)
        return Verdict(feedback, kind, text or message)

    def _verdicts(self, value: Any) -> list[Verdict]:
        """MLflow's standardize_scorer_value, with what the store cannot keep as an error."""
        if value is None:
            return []
        if type(value) in _PLAIN_VALUES:
            return [Verdict(Feedback(name=self.name, value=value, source=self._code_source))]
        if isinstance(value, Feedback):
            return [self._checked(value)]
        if isinstance(value, list) and all(isinstance(v, Feedback) for v in value):
            return [self._checked(v) for v in value]
        if isinstance(value, (Real, str)):
            # numpy scalars and friends become plain values so they store as JSON.
            plain = _plain(value)
            return [Verdict(Feedback(name=self.name, value=plain, source=self._code_source))]
        kind = type(value).__name__
        if isinstance(value, list):
            kind = "list containing " + ", ".join(sorted({type(v).__name__ for v in value}))
        return [
            self._failure(
                ERROR_KIND_RETURN_TYPE,
                f"scorer '{self.name}' returned {kind}; a scorer must return {SUPPORTED_RETURNS}",
            )
        ]

    def _checked(self, feedback: Feedback) -> Verdict:
        """The scorer's own Feedback, named, or an error in its place when it cannot be stored."""
        if feedback.name == DEFAULT_FEEDBACK_NAME or feedback.name is None:
            feedback.name = self.name
        error: Any = feedback.error
        if isinstance(error, (BaseException, str)):
            # Assigned after construction, so Feedback.__init__ did not convert it.
            feedback.error = Feedback(error=error).error
        value = feedback.value
        if type(value) not in _JSON_SCALARS and isinstance(value, Real):
            feedback.value = _plain(value)
        problem = _unstorable(feedback)
        if problem is not None:
            stand_in = Feedback(
                name=feedback.name,
                source=self._code_source,
                error=AssessmentError(
                    error_code=SCORER_ERROR,
                    error_message=f"scorer '{self.name}' returned a Feedback whose {problem}",
                ),
            )
            return Verdict(stand_in, ERROR_KIND_RETURN_TYPE, stand_in.error_message)
        if feedback.error is None:
            return Verdict(feedback)
        return Verdict(feedback, ERROR_KIND_FEEDBACK, error_text(feedback))


def error_text(feedback: Feedback) -> str | None:
    """How ScoreLens shows a Feedback's error: `code: message`, or the message alone."""
    error = feedback.error
    if error is None:
        return None
    message = error.error_message or ""
    if error.error_code in ("ASSESSMENT_ERROR", SCORER_ERROR, "") or not message:
        return message or error.error_code
    return f"{error.error_code}: {message}"


def run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from synchronous code, even inside a running event loop
    (a notebook's): then on a loop of its own in another thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return str(value)
    return int(value) if isinstance(value, int) else float(value)


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


def _drop(trace: Trace) -> None:
    return None


@contextmanager
def scorer_traces_dropped() -> Iterator[None]:
    """While scorers run, traces they make (a traced helper, an autologged call) are dropped.

    They are not the app's: MLflow removes them from the evaluation run, and a trace set they
    joined would change under the scorers on the next run.
    """
    with trace_destination(TraceDestination(sink=_drop)):
        yield
