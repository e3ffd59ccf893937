"""Assessments attached to a trace: Feedback (a judgement) and Expectation (a label).

Mirrors `mlflow.entities.assessment`: the same classes, constructor arguments, defaults and
`to_dictionary()` form (the one MLflow's `search_traces` puts in its `assessments` column).
The store keeps a lossless record of its own (`to_record`/`from_record`): MLflow's dictionary
turns every number into a float and every metadata value into a string.
"""

from __future__ import annotations

import calendar
import json
import re
import time
import traceback
from dataclasses import dataclass
from typing import Any

from scorelens.entities.assessment_error import AssessmentError
from scorelens.entities.assessment_source import AssessmentSource, AssessmentSourceType

# MLflow's FeedbackValueType: a JSON scalar, or a list or str-keyed dict of them.
PbValueType = float | int | str | bool
FeedbackValueType = PbValueType | dict[str, PbValueType] | list[PbValueType]

DEFAULT_FEEDBACK_NAME = "feedback"
ASSESSMENT_ID_PREFIX = "a-"
_JSON_SERIALIZATION_FORMAT = "JSON_FORMAT"


def describe_exception(exc: BaseException) -> str:
    """`Type: message`, the one-line form ScoreLens prints for an exception."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def get_stacktrace(error: BaseException) -> str:
    """The exception's repr followed by its traceback: MLflow's `stack_trace` of an error."""
    msg = repr(error)
    try:
        return (msg + "".join(traceback.format_exception(error))).strip()
    except Exception:
        return msg


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class FeedbackValue:
    """The value of a Feedback, and the error that stood in for it."""

    value: Any
    error: AssessmentError | None = None

    def to_dictionary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": _as_proto_value(self.value)}
        if self.error is not None:
            out["error"] = _error_dictionary(self.error)
        return out

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> FeedbackValue:
        error = d.get("error")
        return cls(
            value=d.get("value"),
            error=AssessmentError.from_dictionary(error) if error else None,
        )


@dataclass
class ExpectationValue:
    """The value of an Expectation: any JSON-serializable value."""

    value: Any

    def to_dictionary(self) -> dict[str, Any]:
        if self.value is not None and not isinstance(self.value, (int, float, bool, str)):
            return {
                "serialized_value": {
                    "serialization_format": _JSON_SERIALIZATION_FORMAT,
                    "value": json.dumps(self.value),
                }
            }
        return {"value": _as_proto_value(self.value)}

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> ExpectationValue:
        if "value" in d:
            return cls(d["value"])
        if "serialized_value" in d:
            return cls(value=json.loads(d["serialized_value"]["value"]))
        raise ValueError(
            "Either 'value' or 'serialized_value' must be present in the dictionary "
            "representation of an Expectation."
        )


@dataclass
class Assessment:
    """What is common to Feedback and Expectation; construct those, not this.

    `assessment_id` is given when the assessment is stored (`a-<32 hex>`); `valid` is False
    once another assessment overrides it.
    """

    name: str
    source: AssessmentSource
    trace_id: str | None = None
    run_id: str | None = None
    rationale: str | None = None
    metadata: dict[str, Any] | None = None
    span_id: str | None = None
    create_time_ms: int | None = None
    last_update_time_ms: int | None = None
    assessment_id: str | None = None
    error: AssessmentError | None = None
    expectation: ExpectationValue | None = None
    feedback: FeedbackValue | None = None
    overrides: str | None = None
    valid: bool | None = None

    def __post_init__(self) -> None:
        if (self.expectation is None) == (self.feedback is None):
            raise ValueError("Exactly one of `expectation` or `feedback` should be specified.")
        if self.error is not None:
            if self.feedback is None:
                raise ValueError("Cannot set `error` when `feedback` is not specified.")
            self.feedback.error = self.error
        now = _now_ms()
        if self.create_time_ms is None:
            self.create_time_ms = now
        if self.last_update_time_ms is None:
            self.last_update_time_ms = now
        if not isinstance(self.source, AssessmentSource):
            raise TypeError(
                "`source` must be an instance of `AssessmentSource`. "
                f"Got {type(self.source)} instead."
            )
        if self.run_id is None and self.metadata and SOURCE_RUN_ID_KEY in self.metadata:
            self.run_id = str(self.metadata[SOURCE_RUN_ID_KEY])

    @property
    def value(self) -> Any:
        if self.feedback is not None:
            return self.feedback.value
        return None if self.expectation is None else self.expectation.value

    def to_dictionary(self) -> dict[str, Any]:
        """MLflow's dictionary form: protobuf JSON names, RFC 3339 times, empty fields left out."""
        out: dict[str, Any] = {}
        if self.assessment_id is not None:
            out["assessment_id"] = self.assessment_id
        out["assessment_name"] = self.name
        out["trace_id"] = self.trace_id or ""
        source: dict[str, Any] = {"source_type": self.source.source_type}
        if self.source.source_id is not None:
            source["source_id"] = self.source.source_id
        out["source"] = source
        created = _ms_to_rfc3339(self.create_time_ms or 0)
        out["create_time"] = created
        out["last_update_time"] = (
            created
            if self.last_update_time_ms == self.create_time_ms
            else _ms_to_rfc3339(self.last_update_time_ms or 0)
        )
        if self.span_id is not None:
            out["span_id"] = self.span_id
        if self.feedback is not None:
            out["feedback"] = self.feedback.to_dictionary()
        elif self.expectation is not None:
            out["expectation"] = self.expectation.to_dictionary()
        if self.rationale is not None:
            out["rationale"] = self.rationale
        if self.metadata:
            out["metadata"] = {k: str(v) for k, v in self.metadata.items()}
        if self.overrides:
            out["overrides"] = self.overrides
        if self.valid is not None:
            out["valid"] = self.valid
        return out

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> Assessment:
        if d.get("expectation"):
            return Expectation.from_dictionary(d)
        if d.get("feedback"):
            return Feedback.from_dictionary(d)
        raise ValueError(f"Unknown assessment type: {d.get('assessment_name')}")

    # -- the store's lossless record ------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        """All set fields, values as given (ints stay ints, metadata keeps its types).

        Empty fields are left out: the store reads one record per scorer and trace.
        """
        record: dict[str, Any] = {
            "assessment_id": self.assessment_id,
            "name": self.name,
            "trace_id": self.trace_id,
            "source": {"source_type": self.source.source_type, "source_id": self.source.source_id},
            "create_time_ms": self.create_time_ms,
            "last_update_time_ms": self.last_update_time_ms,
        }
        for key, value in (
            ("span_id", self.span_id),
            ("run_id", self.run_id),
            ("rationale", self.rationale),
            ("metadata", self.metadata),
            ("overrides", self.overrides),
        ):
            if value is not None:
                record[key] = value
        if self.valid is False:
            record["valid"] = False
        if self.feedback is not None:
            error = self.feedback.error
            body: dict[str, Any] = {"value": self.feedback.value}
            if error is not None:
                body["error"] = error.to_dictionary()
            record["feedback"] = body
        elif self.expectation is not None:
            record["expectation"] = {"value": self.expectation.value}
        return record

    @staticmethod
    def from_record(record: dict[str, Any]) -> Assessment:
        """The assessment `to_record` wrote.

        Built field by field, not through the constructors: their checks and defaults were
        applied when it was made, and a store holds one record per scorer and trace.
        """
        made: Assessment
        source = object.__new__(AssessmentSource)
        source.__dict__.update(record["source"])
        body = record.get("feedback")
        error: AssessmentError | None = None
        if body is not None:
            made = object.__new__(Feedback)
            raw_error = body.get("error")
            if raw_error:
                error = AssessmentError.from_dictionary(raw_error)
            value: FeedbackValue | ExpectationValue = FeedbackValue(body.get("value"), error)
            valid: bool | None = record.get("valid", True)
        else:
            made = object.__new__(Expectation)
            value = ExpectationValue(record["expectation"]["value"])
            valid = record.get("valid")
        fields = made.__dict__
        fields["name"] = record["name"]
        fields["source"] = source
        fields["trace_id"] = record.get("trace_id")
        metadata = record.get("metadata")
        fields["metadata"] = metadata
        run_id = record.get("run_id")
        if run_id is None and metadata:
            run_id = metadata.get(SOURCE_RUN_ID_KEY)
        fields["run_id"] = run_id
        fields["rationale"] = record.get("rationale")
        fields["span_id"] = record.get("span_id")
        fields["create_time_ms"] = record.get("create_time_ms")
        fields["last_update_time_ms"] = record.get("last_update_time_ms")
        fields["assessment_id"] = record.get("assessment_id")
        fields["overrides"] = record.get("overrides")
        fields["valid"] = valid
        if isinstance(value, FeedbackValue):
            fields["feedback"], fields["expectation"] = value, None
        else:
            fields["feedback"], fields["expectation"] = None, value
            fields["error"] = None
        return made


@dataclass(init=False)
class Feedback(Assessment):
    """A judgement of a trace (or one of its spans): a value, or an error that stands in for it.

    As in MLflow: `name` defaults to "feedback"; `source` to CODE; `error` may be an exception
    (kept as its type, message and traceback), an AssessmentError or a string (error code
    "ASSESSMENT_ERROR").

    Example (MLflow's)::

        feedback = Feedback(
            name="correctness",
            value=True,
            rationale="The response is correct.",
            source=AssessmentSource(source_type="HUMAN", source_id="john@example.com"),
            metadata={"project": "my-project"},
        )
    """

    def __init__(
        self,
        name: str = DEFAULT_FEEDBACK_NAME,
        value: Any = None,
        error: BaseException | AssessmentError | str | None = None,
        source: AssessmentSource | None = None,
        trace_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        span_id: str | None = None,
        create_time_ms: int | None = None,
        last_update_time_ms: int | None = None,
        rationale: str | None = None,
        overrides: str | None = None,
        valid: bool = True,
    ) -> None:
        if source is None:
            source = AssessmentSource(source_type=AssessmentSourceType.CODE)
        if isinstance(error, BaseException):
            error = AssessmentError(
                error_message=str(error),
                error_code=error.__class__.__name__,
                stack_trace=get_stacktrace(error),
            )
        elif isinstance(error, str):
            error = AssessmentError(error_message=error, error_code="ASSESSMENT_ERROR")
        elif error is not None and not isinstance(error, AssessmentError):
            raise TypeError(
                f"'error' must be an Exception, AssessmentError, or string. Got: {type(error)}"
            )
        super().__init__(
            name=name,
            source=source,
            trace_id=trace_id,
            metadata=metadata,
            span_id=span_id,
            create_time_ms=create_time_ms,
            last_update_time_ms=last_update_time_ms,
            feedback=FeedbackValue(value=value, error=error),
            rationale=rationale,
            overrides=overrides,
            valid=valid,
        )

    # One place holds the error, FeedbackValue, as in MLflow's proto; `error` reads and writes it.
    @property  # type: ignore[misc]
    def error(self) -> AssessmentError | None:
        feedback = self.__dict__.get("feedback")
        return None if feedback is None else feedback.error

    @error.setter
    def error(self, error: AssessmentError | None) -> None:
        # The base __init__ assigns `error` before `feedback`, which already holds it.
        feedback = self.__dict__.get("feedback")
        if feedback is not None:
            feedback.error = error

    @property
    def value(self) -> Any:
        assert self.feedback is not None
        return self.feedback.value

    @value.setter
    def value(self, value: Any) -> None:
        assert self.feedback is not None
        self.feedback.value = value

    @property
    def error_code(self) -> str | None:
        return self.error.error_code if self.error else None

    @property
    def error_message(self) -> str | None:
        return self.error.error_message if self.error else None

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> Feedback:
        body = d.get("feedback")
        if not body:
            raise ValueError("`feedback` must exist in the dictionary.")
        value = FeedbackValue.from_dictionary(body)
        feedback = cls(
            trace_id=d.get("trace_id") or None,
            name=d["assessment_name"],
            source=AssessmentSource.from_dictionary(d["source"]),
            create_time_ms=_rfc3339_to_ms(d["create_time"]),
            last_update_time_ms=_rfc3339_to_ms(d["last_update_time"]),
            value=value.value,
            error=value.error,
            rationale=d.get("rationale"),
            metadata=d.get("metadata"),
            span_id=d.get("span_id"),
            overrides=d.get("overrides"),
            valid=d.get("valid", True),
        )
        feedback.assessment_id = d.get("assessment_id") or None
        return feedback


@dataclass(init=False)
class Expectation(Assessment):
    """The expected outcome for a trace, such as the right answer; `source` defaults to HUMAN.

    Example (MLflow's)::

        expectation = Expectation(
            name="expected_response",
            value="The capital of France is Paris.",
            source=AssessmentSource(
                source_type=AssessmentSourceType.HUMAN, source_id="john@example.com"
            ),
            metadata={"project": "my-project"},
        )
    """

    def __init__(
        self,
        name: str,
        value: Any,
        source: AssessmentSource | None = None,
        trace_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        span_id: str | None = None,
        create_time_ms: int | None = None,
        last_update_time_ms: int | None = None,
    ) -> None:
        if source is None:
            source = AssessmentSource(source_type=AssessmentSourceType.HUMAN)
        if value is None:
            raise ValueError("The `value` field must be specified.")
        super().__init__(
            name=name,
            source=source,
            trace_id=trace_id,
            metadata=metadata,
            span_id=span_id,
            create_time_ms=create_time_ms,
            last_update_time_ms=last_update_time_ms,
            expectation=ExpectationValue(value=value),
        )

    @property
    def value(self) -> Any:
        assert self.expectation is not None
        return self.expectation.value

    @value.setter
    def value(self, value: Any) -> None:
        assert self.expectation is not None
        self.expectation.value = value

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> Expectation:
        body = d.get("expectation")
        if not body:
            raise ValueError("`expectation` must exist in the dictionary.")
        expectation = cls(
            trace_id=d.get("trace_id") or None,
            name=d["assessment_name"],
            source=AssessmentSource.from_dictionary(d["source"]),
            create_time_ms=_rfc3339_to_ms(d["create_time"]),
            last_update_time_ms=_rfc3339_to_ms(d["last_update_time"]),
            value=ExpectationValue.from_dictionary(body).value,
            metadata=d.get("metadata"),
            span_id=d.get("span_id"),
        )
        expectation.assessment_id = d.get("assessment_id") or None
        return expectation


# Where MLflow records the run that produced an assessment (tracing.constant's
# AssessmentMetadataKey.SOURCE_RUN_ID); spelled here to keep entities free of tracing imports.
SOURCE_RUN_ID_KEY = "mlflow.assessment.sourceRunId"


def _as_proto_value(value: Any) -> Any:
    """What a value reads as after protobuf's Struct: every number a float."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _as_proto_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_proto_value(v) for v in value]
    return value


def _error_dictionary(error: AssessmentError) -> dict[str, Any]:
    out: dict[str, Any] = {"error_code": error.error_code}
    if error.error_message:
        out["error_message"] = error.error_message
    if error.stack_trace:
        out["stack_trace"] = error.stack_trace
    return out


def _ms_to_rfc3339(ms: int) -> str:
    # time.gmtime and an f-string: a third of the cost of datetime's strftime, and search_traces
    # writes two per assessment.
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
        f"T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{millis:03d}Z"
    )


_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|([+-])(\d\d):(\d\d))\Z"
)


def _rfc3339_to_ms(text: str | int) -> int:
    if isinstance(text, int):
        return text
    match = _RFC3339.match(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone, sign, zone_h, zone_m = match.groups()
    seconds = calendar.timegm(
        (int(year), int(month), int(day), int(hour), int(minute), int(second), 0, 0, 0)
    )
    if zone != "Z":
        offset = int(zone_h) * 3600 + int(zone_m) * 60
        seconds -= offset if sign == "+" else -offset
    return seconds * 1000 + int((fraction or "0").ljust(3, "0")[:3])
