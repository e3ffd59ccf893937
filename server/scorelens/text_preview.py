"""A value cut to one short line of text, as a table cell or the results panel shows it."""

from __future__ import annotations

import json
from typing import Any


def preview(value: Any, width: int = 40) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    if isinstance(value, list) and value and isinstance(value[-1], dict) and "content" in value[-1]:
        value = value[-1]["content"]  # a chat transcript: the last message says most
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
