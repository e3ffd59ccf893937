"""Every custom request is answered, even one without `params` (as vscode-jsonrpc sends them).

pytest-lsp's client always writes a `params` member, so these tests speak JSON-RPC over the
server's stdio themselves, byte for byte as VS Code does.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from pygls.uris import from_fs_path

from scorelens.lsp import protocol

ANSWER_TIMEOUT_S = 30
# A request whose params are required answers with an error naming what is missing.
NEEDS_PARAMS = {
    protocol.select_trace_set: ("runId",),
    protocol.generate_traces: ("app", "dataset"),
    protocol.get_trace: ("traceId",),
    protocol.trace_results: ("traceId",),
    protocol.set_label: ("scorer", "traceId", "value"),
    protocol.mlflow_experiments: ("trackingUri",),
    protocol.pull_from_mlflow: ("experimentId", "trackingUri"),
}


class RawClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.messages: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = 0
        while True:
            line = await self.process.stdout.readline()
            if not line:
                raise EOFError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        message: dict[str, Any] = json.loads(await self.process.stdout.readexactly(length))
        return message

    async def answer(self, msg_id: int) -> dict[str, Any]:
        """The response to `msg_id`; requests from the server are answered with null."""
        while True:
            message = await self.read()
            if "method" in message:
                if "id" in message:
                    self.send({"id": message["id"], "result": None})
                else:
                    self.messages.append(message)
                continue
            if message.get("id") == msg_id:
                return message


async def start_raw(root: Path) -> RawClient:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scorelens.lsp",
        cwd=root,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    client = RawClient(process)
    client.send(
        {
            "id": 0,
            "method": "initialize",
            "params": {"processId": None, "rootUri": from_fs_path(str(root)), "capabilities": {}},
        }
    )
    await asyncio.wait_for(client.answer(0), ANSWER_TIMEOUT_S)
    client.send({"method": "initialized", "params": {}})
    return client


async def stop_raw(client: RawClient) -> None:
    client.send({"id": 999, "method": "shutdown"})  # itself a request without params
    await asyncio.wait_for(client.answer(999), ANSWER_TIMEOUT_S)
    client.send({"method": "exit"})
    await asyncio.wait_for(client.process.wait(), ANSWER_TIMEOUT_S)


async def test_every_custom_request_without_params_gets_an_answer(workspace: Path) -> None:
    client = await start_raw(workspace)
    try:
        for msg_id, request in enumerate(protocol.REQUESTS, start=1):
            method = request.method
            client.send({"id": msg_id, "method": method})  # no "params" member at all
            answer = await asyncio.wait_for(client.answer(msg_id), ANSWER_TIMEOUT_S)
            if request in NEEDS_PARAMS:
                assert "result" not in answer, method
                needed = ", ".join(f"params.{name}" for name in NEEDS_PARAMS[request])
                assert f"{method}: needs {needed}" == answer["error"]["message"]
            else:
                assert "error" not in answer, (method, answer)
                assert isinstance(answer["result"], dict), (method, answer)
        # Nothing went out of band as an "Error in server" message either.
        shown = [m for m in client.messages if m["method"] == "window/showMessage"]
        assert shown == []
    finally:
        await stop_raw(client)


async def test_the_answers_are_the_same_as_with_empty_params(workspace: Path) -> None:
    client = await start_raw(workspace)
    try:
        client.send({"id": 1, "method": protocol.list_runs.method})
        without = await asyncio.wait_for(client.answer(1), ANSWER_TIMEOUT_S)
        client.send({"id": 2, "method": protocol.list_runs.method, "params": {}})
        empty = await asyncio.wait_for(client.answer(2), ANSWER_TIMEOUT_S)
        assert without["result"] == empty["result"]
        assert without["result"]["active"]["traceCount"] == 3
    finally:
        await stop_raw(client)


async def test_unreadable_params_get_an_error_not_silence(workspace: Path) -> None:
    client = await start_raw(workspace)
    try:
        # A standard request whose params cannot be read: pygls used to drop it unanswered.
        client.send({"id": 1, "method": "textDocument/codeLens", "params": {"textDocument": 5}})
        answer = await asyncio.wait_for(client.answer(1), ANSWER_TIMEOUT_S)
        assert answer["error"]["code"] == -32602
        assert "textDocument/codeLens" in answer["error"]["message"]
        client.send({"id": 2, "method": protocol.select_trace_set.method, "params": [1, 2]})
        answer = await asyncio.wait_for(client.answer(2), ANSWER_TIMEOUT_S)
        assert answer["error"]["message"] == (
            "scorelens/selectTraceSet: invalid type (expected a mapping, not list) @ params"
        )
        # Each field is read as declared in protocol.py: the answer names the wrong ones.
        client.send(
            {
                "id": 4,
                "method": protocol.result_rows.method,
                "params": {"limit": "ten", "filter": "broken", "scorers": [{"uri": "u"}]},
            }
        )
        answer = await asyncio.wait_for(client.answer(4), ANSWER_TIMEOUT_S)
        message = answer["error"]["message"]
        assert answer["error"]["code"] == -32602
        assert "required field missing @ params.scorers[0].name" in message
        assert "expected int @ params.limit" in message
        assert "broken not in literal" in message and "@ params.filter" in message
        # The server is still there for the next request.
        client.send({"id": 3, "method": protocol.list_apps.method})
        answer = await asyncio.wait_for(client.answer(3), ANSWER_TIMEOUT_S)
        assert answer["result"]["apps"][0]["reference"] == "sample_app.py:sample_app"
    finally:
        await stop_raw(client)
