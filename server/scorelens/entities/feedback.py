"""Feedback: what a scorer says about one trace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Feedback:
    """A scorer's verdict. `value` None with no `error` means the scorer chose not to judge."""

    value: Any = None
    rationale: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None
    error: str | None = None
    # Where the error was raised, for pointing at the failing line of the scorer.
    stack_trace: str | None = None
    source: dict[str, Any] = field(default_factory=dict)

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
