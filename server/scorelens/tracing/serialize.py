"""Turning arbitrary Python values into JSON-safe data for the store.

Anything we cannot represent faithfully is stored as its repr, and its path is reported so the
span can be flagged: a trace must never fail to record because an input was exotic.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
from typing import Any

_MAX_DEPTH = 40


def to_jsonable(value: Any) -> tuple[Any, list[str]]:
    """Return (json-safe copy of value, paths of the parts that were stored as repr)."""
    flagged: list[str] = []
    return _convert(value, "$", flagged, 0), flagged


def _convert(value: Any, path: str, flagged: list[str], depth: int) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        flagged.append(path)
        return repr(value)
    if depth >= _MAX_DEPTH:
        flagged.append(path)
        return _safe_repr(value)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                flagged.append(f"{path}[{key!r}]")
                key = str(key)
            out[key] = _convert(item, f"{path}.{key}", flagged, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_convert(v, f"{path}[{i}]", flagged, depth + 1) for i, v in enumerate(value)]
    if isinstance(value, enum.Enum):
        return _convert(value.value, path, flagged, depth + 1)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    # Pydantic models (every openai SDK response) know how to dump themselves as JSON data.
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump) and not isinstance(value, type):
        try:
            return _convert(model_dump(mode="json"), path, flagged, depth + 1)
        except Exception:
            pass
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return _convert(fields, path, flagged, depth + 1)
    flagged.append(path)
    return _safe_repr(value)


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a broken __repr__ must not break tracing
        return f"<unrepresentable {type(value).__name__}: {exc!r}>"
