"""Scorers that call a model, in the editor: calls counted and priced, cached across edits of
the reply's parsing, results streamed while a slow run lasts (issue: LLM scorers)."""

from __future__ import annotations

import re

import pytest
from fixtures.openai_server import LoopbackServer

from scorelens.lsp import protocol
from tests.lsp.conftest import Session

JUDGE = """
import openai
from scorelens.genai.scorers import scorer

PROMPT = "{prompt}"


@scorer
def judged(outputs):
    reply = openai.OpenAI().chat.completions.create(
        model="gpt-4o-mini",
        messages=[{{"role": "user", "content": PROMPT + outputs}}],
    )
    return {parse}
"""
FIRST_PROMPT = "Is this answer polite? Answer yes or no. "
LENGTH = "len(reply.choices[0].message.content)"
WORDS = "len(reply.choices[0].message.content.split())"


def judge(prompt: str = FIRST_PROMPT, parse: str = LENGTH) -> str:
    return JUDGE.format(prompt=prompt, parse=parse)


def lens_of(titles: list[str]) -> str:
    return next(t for t in titles if t.startswith("judged"))


async def test_calls_are_counted_priced_and_cached_across_parsing_edits(
    lsp: Session, openai_server: LoopbackServer
) -> None:
    (lsp.root / "judge.py").write_text(judge())
    lsp.open("judge.py")
    sent = openai_server.model_calls
    first = (await lsp.save("judge.py", judge()))["changed"][0]
    usage = first["judge"]
    assert (usage["calls"], usage["newCalls"]) == (3, 3)
    assert openai_server.model_calls - sent == 3  # what the model received, as counted
    assert usage["tokens"] > 0 and usage["costUsd"] > 0  # gpt-4o-mini has a price
    title = lens_of(await lsp.lenses("judge.py"))
    assert re.search(r" · 3 judge calls \(3 new\) · \d+ tokens · \$0\.\d+$", title), title

    # Only the parsing changed: every call is answered from the cache.
    sent = openai_server.model_calls
    reparsed = (await lsp.save("judge.py", judge(parse=WORDS), 3))["changed"][0]
    assert (reparsed["judge"]["calls"], reparsed["judge"]["newCalls"]) == (3, 0)
    assert openai_server.model_calls == sent
    assert reparsed["hash"] != first["hash"]
    assert "3 judge calls (0 new)" in lens_of(await lsp.lenses("judge.py"))

    # A new prompt is a new request: the model is asked again.
    reworded = judge(prompt="Is this answer rude? Answer yes or no. ", parse=WORDS)
    asked = (await lsp.save("judge.py", reworded, 4))["changed"][0]
    assert (asked["judge"]["calls"], asked["judge"]["newCalls"]) == (3, 3)
    assert openai_server.model_calls == sent + 3

    # The trace view's data: each scorer's model calls on one trace, as CHAT_MODEL spans
    # with MLflow's attributes: the prompt as sent, the raw reply, model, tokens, timing.
    rows = await lsp.request(protocol.result_rows, {"limit": 1})
    trace_id = rows["rows"][0]["traceId"]
    results = await lsp.request(protocol.trace_results, {"traceId": trace_id})
    (mine,) = [r for r in results["results"] if r["name"] == "judged"]
    (span,) = mine["judge"]
    assert (span["name"], span["span_type"], span["trace_id"]) == (
        "Completions",
        "CHAT_MODEL",
        trace_id,
    )
    assert span["inputs"].startswith('[\n {\n  "role": "user"')
    assert "Is this answer rude?" in span["inputs"]
    assert mine["value"] == len(span["outputs"].split())
    attributes = span["attributes"]
    assert attributes["mlflow.llm.model"] == "gpt-4o-mini"
    assert attributes["scorelens.judge.cached"] is False
    usage = attributes["mlflow.chat.tokenUsage"]
    assert usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert span["end_time_ns"] is not None and span["end_time_ns"] >= span["start_time_ns"] > 0


async def test_clearing_the_judge_cache_asks_the_model_again(
    lsp: Session, openai_server: LoopbackServer
) -> None:
    (lsp.root / "judge.py").write_text(judge())
    lsp.open("judge.py")
    await lsp.save("judge.py", judge())
    cleared = await lsp.request(protocol.clear_judge_cache, {})
    assert cleared == {"cleared": 3}
    sent = openai_server.model_calls
    reparsed = (await lsp.save("judge.py", judge(parse=WORDS), 3))["changed"][0]
    assert reparsed["judge"]["newCalls"] == 3
    assert openai_server.model_calls == sent + 3  # the worker's memory was no shortcut


@pytest.mark.parametrize("lsp", [{"judgeCache": False}], indirect=True)
async def test_the_cache_can_be_turned_off(lsp: Session, openai_server: LoopbackServer) -> None:
    (lsp.root / "judge.py").write_text(judge())
    lsp.open("judge.py")
    await lsp.save("judge.py", judge())
    sent = openai_server.model_calls
    reparsed = (await lsp.save("judge.py", judge(parse=WORDS), 3))["changed"][0]
    assert (reparsed["judge"]["calls"], reparsed["judge"]["newCalls"]) == (3, 3)
    assert openai_server.model_calls == sent + 3
    assert not (lsp.root / ".scorelens" / "judge_cache").exists()


SLOW = """
import time
from scorelens.genai.scorers import scorer


@scorer
def slow(outputs):
    time.sleep(0.6)
    return len(outputs)
"""


@pytest.mark.parametrize("lsp", [{"maxWorkers": 1}], indirect=True)
async def test_a_long_run_shows_its_figures_so_far(lsp: Session) -> None:
    (lsp.root / "slow.py").write_text(SLOW)
    lsp.open("slow.py")
    final = await lsp.save("slow.py", SLOW)
    # Three traces one at a time, 0.6 s each: past 0.2 s the run showed what it had so far.
    so_far = [
        n
        for n in lsp.received[protocol.scores_changed]
        if n is not final and n["changed"] and n["changed"][0]["state"] == "running"
    ]
    assert so_far, lsp.received[protocol.scores_changed]
    partial = so_far[0]["changed"][0]
    assert 0 < partial["scored"] < 3 and partial["total"] == 3
    assert partial["aggregates"][0]["name"] == "mean"
    assert final["changed"][0]["state"] == "scored" and final["changed"][0]["scored"] == 3


async def test_a_rate_limited_run_says_so_once(lsp: Session) -> None:
    # The loopback model answers 429 to every request marked so, through the SDK's retries.
    limited = judge(prompt="[rate-limit] Is this answer polite? Answer yes or no. ")
    (lsp.root / "judge.py").write_text(limited)
    lsp.open("judge.py")
    summary = (await lsp.save("judge.py", limited))["changed"][0]
    assert summary["errors"] == 3
    (diagnostic,) = lsp.client.diagnostics[lsp.uri("judge.py")]
    assert diagnostic.message.startswith("rate limited: 3 of 3 traces"), diagnostic.message
