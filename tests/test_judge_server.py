"""The loopback server run as a script, as the demo and the editor's end-to-end test run it:
its judge mode, its latency option and its request counter over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from tests.conftest import FIXTURES


@pytest.fixture
def base_url() -> Iterator[str]:
    server = subprocess.Popen(
        [sys.executable, str(FIXTURES / "openai_server.py"), "--latency-ms", "30"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


def stats(base_url: str, method: str = "GET") -> dict[str, object]:
    url = base_url.removesuffix("/v1") + "/stats"
    with urllib.request.urlopen(urllib.request.Request(url, method=method)) as answer:
        loaded: dict[str, object] = json.load(answer)
        return loaded


def test_the_script_judges_and_counts_what_it_was_asked(base_url: str) -> None:
    client = openai.OpenAI(base_url=base_url, api_key="sk-loopback")
    asks = {
        "Is it polite? Answer yes or no. <answer>Sorry, please retry.</answer>": "yes",
        "Is it polite? Answer YES or NO. <answer>Go away.</answer>": "no",
        # Outside the tags, "please" is the question's, not the answer's.
        "Please say: is it polite? Answer yes or no. <answer>No.</answer>": "no",
        "Answer yes or no: thank you for asking": "yes",
    }

    def ask(prompt: str) -> str:
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
        )
        return reply.choices[0].message.content or ""

    with ThreadPoolExecutor(len(asks)) as pool:
        assert list(pool.map(ask, asks)) == list(asks.values())
    assert client.responses.create(model="gpt-4o-mini", input=next(iter(asks))).output_text == "yes"
    client.models.list()

    counted = stats(base_url)
    assert counted["requests"] == {"/v1/chat/completions": 4, "/v1/responses": 1, "/v1/models": 1}
    assert counted["modelCalls"] == 5
    assert 1 <= counted["maxInFlight"] <= 4  # type: ignore[operator]
    assert stats(base_url, "DELETE") == counted  # DELETE answers what the counters were
    assert stats(base_url) == {"requests": {}, "modelCalls": 0, "maxInFlight": 0}
