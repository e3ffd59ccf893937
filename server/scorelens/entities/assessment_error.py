"""AssessmentError: why a Feedback has no value (MLflow's `mlflow.entities.AssessmentError`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class AssessmentError:
    """An error met while producing an assessment: a code, a message and where it was raised.

    A Feedback made with `error=<exception>` gets the exception's type name as `error_code`, its
    message as `error_message` and its traceback as `stack_trace`; with `error="text"` the code
    is "ASSESSMENT_ERROR", as in MLflow.
    """

    error_code: str
    error_message: str | None = None
    stack_trace: str | None = None

    def to_dictionary(self) -> dict[str, Any]:
        return {
            "error_code": self.error_code,
            "error_message": self.error_message,
            "stack_trace": self.stack_trace,
        }

    @classmethod
    def from_dictionary(cls, error_dict: dict[str, Any]) -> AssessmentError:
        return cls(
            error_code=error_dict["error_code"],
            error_message=error_dict.get("error_message"),
            stack_trace=error_dict.get("stack_trace"),
        )
