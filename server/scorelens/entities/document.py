"""Document: one retrieved document in a RETRIEVER span's outputs (MLflow's Document)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Document:
    """`page_content`, `metadata` and an optional `id`; `to_dict()` gives the stored form."""

    page_content: str
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
