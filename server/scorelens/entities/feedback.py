"""Feedback: what a scorer says about one trace."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any


def describe_exception(exc: BaseException) -> str:
    """`Type: message`, the form ScoreLens records for a scorer that raised."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


@dataclass(init=False)
class Feedback:
    """A scorer's verdict. `value` None with no `error` means the scorer chose not to judge.

    As in MLflow, `error` may be given as an exception: it is kept as its message (here with the
    exception's type, as for a scorer that raises it), and its traceback when it was raised.
    """

    value: Any = None
    rationale: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None
    error: str | None = None
    # Where the error was raised, for pointing at the failing line of the scorer.
    stack_trace: str | None = None
    source: dict[str, Any] = field(default_factory=dict)

    def __init__(
        self,
        value: Any = None,
        rationale: str | None = None,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
        error: str | BaseException | None = None,
        stack_trace: str | None = None,
        source: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(error, BaseException):
            if stack_trace is None and error.__traceback__ is not None:
                stack_trace = "".join(
                    traceback.format_exception(type(error), error, error.__traceback__)
                )
            error = describe_exception(error)
        self.value = value
        self.rationale = rationale
        self.name = name
        self.metadata = metadata
        self.error = error
        self.stack_trace = stack_trace
        self.source = {} if source is None else source

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "rationale": self.rationale,
            "metadata": self.metadata,
            "error": self.error,
            "stack_trace": self.stack_trace,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feedback:
        return cls(
            value=data.get("value"),
            rationale=data.get("rationale"),
            name=data.get("name"),
            metadata=data.get("metadata"),
            error=data.get("error"),
            stack_trace=data.get("stack_trace"),
            source=dict(data.get("source") or {}),
        )
