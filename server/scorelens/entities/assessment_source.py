"""Who made an assessment: a human, an LLM judge or code (MLflow's AssessmentSource)."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any, ClassVar


class AssessmentSourceType:
    """The kinds of assessment source, as MLflow spells them; strings are accepted in any case.

    The legacy "AI_JUDGE" reads as "LLM_JUDGE" with a FutureWarning, as in MLflow.
    """

    SOURCE_TYPE_UNSPECIFIED = "SOURCE_TYPE_UNSPECIFIED"
    LLM_JUDGE = "LLM_JUDGE"
    AI_JUDGE = "AI_JUDGE"
    HUMAN = "HUMAN"
    CODE = "CODE"
    _SOURCE_TYPES: ClassVar[list[str]] = [SOURCE_TYPE_UNSPECIFIED, LLM_JUDGE, HUMAN, CODE]

    def __init__(self, source_type: str) -> None:
        self._source_type = AssessmentSourceType._parse(source_type)

    @staticmethod
    def _parse(source_type: str) -> str:
        source_type = str(source_type).upper()
        if source_type == AssessmentSourceType.AI_JUDGE:
            # Points at the AssessmentSource(...) call: _parse <- __init__ <- _standardize <-
            # __post_init__ <- the dataclass __init__ <- the caller.
            warnings.warn(
                "AI_JUDGE is deprecated. Use LLM_JUDGE instead.", FutureWarning, stacklevel=6
            )
            source_type = AssessmentSourceType.LLM_JUDGE
        if source_type not in AssessmentSourceType._SOURCE_TYPES:
            raise ValueError(
                f"Invalid assessment source type: {source_type}. "
                f"Valid source types: {AssessmentSourceType._SOURCE_TYPES}"
            )
        return source_type

    def __str__(self) -> str:
        return self._source_type

    @staticmethod
    def _standardize(source_type: str) -> str:
        return str(AssessmentSourceType(source_type))


@dataclass
class AssessmentSource:
    """Where an assessment came from: `source_type` (see AssessmentSourceType) and an id.

    `source_id` names the human, the judge model or the code; it defaults to "default".
    """

    source_type: str
    source_id: str | None = "default"

    def __post_init__(self) -> None:
        self.source_type = AssessmentSourceType._standardize(self.source_type)

    def to_dictionary(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dictionary(cls, source_dict: dict[str, Any]) -> AssessmentSource:
        return cls(**source_dict)
