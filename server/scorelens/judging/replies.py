"""What a model request and its answer say, read from the HTTP bodies the openai SDK exchanges:
the model, the prompt, the reply's text and the tokens used (chat completions and the Responses
API, answered whole or streamed as server-sent events)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 20_000  # a prompt or reply kept for the trace view; longer ones are cut


@dataclass
class Reading:
    model: str
    prompt: str
    reply: str = ""
    input_tokens: int | None = None
    output_tokens: int | None = None


def read_request(body: bytes) -> Reading:
    try:
        request = json.loads(body)
    except ValueError:
        return Reading(model="?", prompt=_cut(body.decode("utf-8", errors="replace")))
    if not isinstance(request, dict):
        return Reading(model="?", prompt=_cut(json.dumps(request)))
    prompt = request.get("messages", request.get("input", ""))
    if isinstance(request.get("instructions"), str):
        prompt = [{"role": "system", "content": request["instructions"]}, {"input": prompt}]
    text = prompt if isinstance(prompt, str) else json.dumps(prompt, ensure_ascii=False, indent=1)
    return Reading(model=str(request.get("model", "?")), prompt=_cut(text))


def read_answer(reading: Reading, content_type: str, body: bytes) -> None:
    """Fill in the reply and the tokens; an answer in an unknown form leaves them empty."""
    text = body.decode("utf-8", errors="replace")
    if "text/event-stream" in content_type:
        events = []
        for line in text.splitlines():
            if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
                try:
                    events.append(json.loads(line[5:]))
                except ValueError:
                    continue
        _read_events(reading, events)
        return
    try:
        answer = json.loads(text)
    except ValueError:
        return
    if isinstance(answer, dict):
        _read_whole(reading, answer)


def _read_whole(reading: Reading, answer: dict[str, Any]) -> None:
    if "choices" in answer:  # chat completions
        parts = [
            (c.get("message") or {}).get("content") or ""
            for c in answer.get("choices") or []
            if isinstance(c, dict)
        ]
        reading.reply = _cut("\n".join(parts))
    elif "output" in answer:  # the Responses API
        reading.reply = _cut(_output_text(answer.get("output")))
    _usage(reading, answer.get("usage"))


def _read_events(reading: Reading, events: list[Any]) -> None:
    parts: list[str] = []
    for event in events:
        if not isinstance(event, dict):
            continue
        if "choices" in event:  # a chat completion chunk
            for choice in event.get("choices") or []:
                delta = (choice or {}).get("delta") or {}
                parts.append(delta.get("content") or "")
            _usage(reading, event.get("usage"))
        elif event.get("type") == "response.output_text.delta":
            parts.append(str(event.get("delta", "")))
        elif event.get("type") == "response.completed":
            _usage(reading, (event.get("response") or {}).get("usage"))
    reading.reply = _cut("".join(parts))


def _output_text(output: Any) -> str:
    texts = []
    for item in output or []:
        for content in (item or {}).get("content") or []:
            if isinstance(content, dict) and content.get("type") == "output_text":
                texts.append(str(content.get("text", "")))
    return "".join(texts)


def _usage(reading: Reading, usage: Any) -> None:
    if not isinstance(usage, dict):
        return
    # Chat completions say prompt/completion tokens; the Responses API input/output tokens.
    for field, names in (
        ("input_tokens", ("prompt_tokens", "input_tokens")),
        ("output_tokens", ("completion_tokens", "output_tokens")),
    ):
        for name in names:
            if isinstance(usage.get(name), int):
                setattr(reading, field, usage[name])


def _cut(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]} … [{len(text) - MAX_TEXT:,} characters cut]"
