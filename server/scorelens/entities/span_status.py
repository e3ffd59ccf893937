"""The status of a span: a code and, for errors, a description (MLflow's SpanStatus)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class SpanStatusCode(str, Enum):
    """The OpenTelemetry status codes MLflow uses."""

    UNSET = "UNSET"
    OK = "OK"
    ERROR = "ERROR"

    def __str__(self) -> str:
        return self.value


@dataclass
class SpanStatus:
    """`status_code` (a SpanStatusCode or its name) and `description`, set for errors."""

    status_code: SpanStatusCode
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.status_code, SpanStatusCode):
            try:
                self.status_code = SpanStatusCode(str(self.status_code))
            except ValueError:
                raise ValueError(
                    f"{self.status_code} is not a valid SpanStatusCode value. "
                    f"Please use one of {[code.value for code in SpanStatusCode]}"
                ) from None
