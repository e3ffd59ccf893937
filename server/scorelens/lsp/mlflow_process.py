"""Runs `python -m scorelens.mlflow_sync` for the server and reads its JSON lines: MLflow is
imported there, never in the server (it takes seconds and a few hundred MB)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

_ANSWER_LIMIT = 16 * 1024 * 1024  # a long experiment list is one line


async def run(
    python: str,
    args: list[str],
    cwd: str,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The process's result message; ValueError with its one-line message when it failed."""
    process = await asyncio.create_subprocess_exec(
        python,
        "-m",
        "scorelens.mlflow_sync",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
        limit=_ANSWER_LIMIT,
    )
    assert process.stdout is not None and process.stderr is not None
    errors = asyncio.ensure_future(process.stderr.read())
    answer: dict[str, Any] | None = None
    try:
        async for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # something MLflow printed: not ours
            if message.get("kind") == "progress" and on_progress is not None:
                on_progress(int(message["done"]), int(message["total"]))
            elif message.get("kind") in ("result", "error"):
                answer = message
        await process.wait()
    except asyncio.CancelledError:
        process.kill()
        raise
    stderr = (await errors).decode(errors="replace").strip()
    if answer is None:
        last = stderr.splitlines()[-1] if stderr else f"exit status {process.returncode}"
        raise ValueError(f"pulling from MLflow failed: {last}")
    if answer["kind"] == "error":
        raise ValueError(str(answer["message"]))
    return answer
