"""A judge scorer's model calls, re-scoring stored traces: answered from the store's cache when
asked before, never for the app, and recorded with their model, tokens and cached flags.

The real openai SDK talks HTTP to the loopback server (its judge mode says "yes" exactly when
the judged answer holds a polite marker), whose request counter shows what reached it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pandas as pd
import pytest
from fixtures.openai_server import POLITE_MARKERS, LoopbackServer
from fixtures.scorers import JUDGE_MODEL, POLITENESS_PROMPT, ask_judge, is_polite

import scorelens
from scorelens.genai import evaluate
from scorelens.genai.evaluation import Evaluation, generate_traces, run_evaluation
from scorelens.genai.scorers import Scorer, scorer
from scorelens.judging import JudgeCache

SUPPORT = Path(__file__).resolve().parent.parent / "fixtures" / "datasets" / "support.jsonl"
ROWS = [json.loads(line) for line in SUPPORT.read_text().splitlines()]


def polite(answer: str) -> bool:
    """The loopback judge's verdict, worked out from the answer alone."""
    return any(marker in answer.lower() for marker in POLITE_MARKERS)


def support_app() -> Callable[..., Any]:
    from fixtures import sample_app  # its client is made on import: after openai_env

    return sample_app.sample_app


@pytest.fixture
def stored(store_dir: Path, openai_env: str) -> pd.DataFrame:
    """The sample app's 56 support answers, recorded once; the judge re-scores these."""
    generate_traces(ROWS, support_app())
    return scorelens.search_traces()


@pytest.fixture
def server(openai_server: LoopbackServer) -> Iterator[LoopbackServer]:
    openai_server.reset_stats()
    yield openai_server


def distinct_answers(traces: pd.DataFrame) -> int:
    return len(set(traces["response"]))


def verdicts(result: Any, name: str = "is_polite") -> dict[str, Any]:
    frame = result.result_df
    return dict(zip(frame["trace_id"], frame[f"{name}/value"], strict=True))


def expected(traces: pd.DataFrame) -> dict[str, bool]:
    return {
        trace_id: polite(answer)
        for trace_id, answer in zip(traces["trace_id"], traces["response"], strict=True)
    }


def calls_during(server: LoopbackServer, action: Callable[[], Any]) -> tuple[int, Any]:
    before = server.model_calls
    outcome = action()
    return server.model_calls - before, outcome


def test_rescoring_twice_answers_the_second_pass_from_the_cache(
    stored: pd.DataFrame, server: LoopbackServer
) -> None:
    truth = expected(stored)
    assert 0 < sum(truth.values()) < len(truth)  # both verdicts occur

    sent, first = calls_during(server, lambda: evaluate(stored, scorers=[is_polite]))
    # Rows in flight at once may ask the same question before either answer is kept.
    assert distinct_answers(stored) <= sent <= len(stored)
    assert verdicts(first) == truth

    sent, second = calls_during(
        server, lambda: evaluate(scorelens.search_traces(), scorers=[is_polite])
    )
    assert sent == 0
    assert verdicts(second) == truth
    assert second.metrics == first.metrics


def test_cleared_answers_are_asked_again_even_in_a_process_that_remembers_them(
    stored: pd.DataFrame, server: LoopbackServer
) -> None:
    evaluate(stored, scorers=[is_polite])
    sent, _ = calls_during(server, lambda: evaluate(stored, scorers=[is_polite]))
    assert sent == 0  # answered from memory: the SDK's own objects, kept in this process
    forgotten = JudgeCache(scorelens.get_tracking_uri()).clear()
    assert forgotten == distinct_answers(stored)
    sent, again = calls_during(server, lambda: evaluate(stored, scorers=[is_polite]))
    assert distinct_answers(stored) <= sent <= len(stored)
    assert verdicts(again) == expected(stored)


def test_recorded_calls_carry_model_tokens_and_cached_flags(
    stored: pd.DataFrame, server: LoopbackServer
) -> None:
    sent, evaluation = calls_during(
        server, lambda: run_evaluation(stored, [is_polite], max_workers=1)
    )
    calls = evaluation.judge_calls["is_polite"]
    answers = list(stored["response"])
    assert len(calls) == len(answers)
    # One at a time, an answer seen before is a cache hit already in this pass.
    first_seen = [answer not in answers[:i] for i, answer in enumerate(answers)]
    assert [not c.cached for c in calls] == first_seen
    assert sent == sum(first_seen) == distinct_answers(stored)
    for call, answer in zip(calls, answers, strict=True):
        prompt = POLITENESS_PROMPT.format(answer=answer)
        assert call.model == JUDGE_MODEL
        assert answer in call.prompt
        assert call.input_tokens == len(prompt.split())  # the server counts words
        assert call.output_tokens == 1
        assert call.reply == ("yes" if polite(answer) else "no")
        assert call.latency_ms >= 0

    # The same calls as spans of the scorer's result on each trace, as MLflow records a chat.
    spans = evaluation.judge_spans["is_polite"]
    assert list(spans) == list(stored["trace_id"])
    for trace_id, call in zip(stored["trace_id"], calls, strict=True):
        (span,) = spans[trace_id]
        assert (span["trace_id"], span["name"], span["span_type"]) == (
            trace_id,
            "Completions",
            "CHAT_MODEL",
        )
        assert (span["inputs"], span["outputs"]) == (call.prompt, call.reply)
        attributes = span["attributes"]
        assert attributes["mlflow.llm.model"] == JUDGE_MODEL
        assert attributes["scorelens.judge.cached"] is call.cached
        assert attributes["mlflow.chat.tokenUsage"] == {
            "input_tokens": call.input_tokens,
            "output_tokens": 1,
            "total_tokens": (call.input_tokens or 0) + 1,
        }
        assert span["end_time_ns"] is not None and span["end_time_ns"] >= span["start_time_ns"]

    again = run_evaluation(stored, [is_polite]).judge_calls["is_polite"]
    assert all(c.cached for c in again) and len(again) == len(answers)
    assert [c.input_tokens for c in again] == [c.input_tokens for c in calls]


@scorer(name="is_polite")
def is_polite_reparsed(outputs: str) -> str:
    """is_polite with its reply read another way; the same question to the model."""
    reply = ask_judge(POLITENESS_PROMPT.format(answer=outputs or ""))
    return "polite" if "yes" in reply.lower() else "curt"


@scorer(name="is_polite")
def is_polite_reworded(outputs: str) -> bool:
    """is_polite with its prompt edited."""
    reply = ask_judge("Be strict. " + POLITENESS_PROMPT.format(answer=outputs or ""))
    return reply.strip().lower().startswith("yes")


def test_editing_the_parsing_calls_nothing_and_editing_the_prompt_calls_again(
    stored: pd.DataFrame, server: LoopbackServer
) -> None:
    evaluate(stored, scorers=[is_polite])
    truth = expected(stored)

    sent, reparsed = calls_during(server, lambda: evaluate(stored, scorers=[is_polite_reparsed]))
    assert sent == 0
    assert verdicts(reparsed) == {t: "polite" if v else "curt" for t, v in truth.items()}

    sent, reworded = calls_during(
        server, lambda: evaluate(stored, scorers=[is_polite_reworded], max_workers=1)
    )
    assert sent == distinct_answers(stored)
    assert verdicts(reworded) == truth


def _prompt(outputs: str | None) -> str:
    return POLITENESS_PROMPT.format(answer=outputs or "")


@scorer(name="judge")
def streamed_chat(outputs: str) -> bool:
    with openai.OpenAI() as client:
        stream = client.chat.completions.create(
            model=JUDGE_MODEL,
            messages=[{"role": "user", "content": _prompt(outputs)}],
            stream=True,
            stream_options={"include_usage": True},
        )
        reply = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    return reply.startswith("yes")


@scorer(name="judge")
async def async_chat(outputs: str) -> bool:
    async with openai.AsyncOpenAI() as client:
        response = await client.chat.completions.create(
            model=JUDGE_MODEL, messages=[{"role": "user", "content": _prompt(outputs)}]
        )
    return (response.choices[0].message.content or "").startswith("yes")


@scorer(name="judge")
async def async_streamed_chat(outputs: str) -> bool:
    async with openai.AsyncOpenAI() as client:
        stream = await client.chat.completions.create(
            model=JUDGE_MODEL,
            messages=[{"role": "user", "content": _prompt(outputs)}],
            stream=True,
            stream_options={"include_usage": True},
        )
        reply = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    return reply.startswith("yes")


@scorer(name="judge")
def responses_api(outputs: str) -> bool:
    with openai.OpenAI() as client:
        response = client.responses.create(model=JUDGE_MODEL, input=_prompt(outputs))
    return response.output_text.startswith("yes")


@scorer(name="judge")
def streamed_responses(outputs: str) -> bool:
    with openai.OpenAI() as client:
        stream = client.responses.create(model=JUDGE_MODEL, input=_prompt(outputs), stream=True)
        reply = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
    return reply.startswith("yes")


@pytest.mark.parametrize(
    "judge",
    [
        pytest.param(streamed_chat, id="streamed chat completions"),
        pytest.param(async_chat, id="async chat completions"),
        pytest.param(async_streamed_chat, id="async streamed chat completions"),
        pytest.param(responses_api, id="responses"),
        pytest.param(streamed_responses, id="streamed responses"),
    ],
)
def test_every_way_of_asking_is_cached(
    stored: pd.DataFrame, server: LoopbackServer, judge: Scorer
) -> None:
    truth = expected(stored)

    def rescore() -> Evaluation:
        return run_evaluation(scorelens.search_traces(), [judge], max_workers=1)

    sent, first = calls_during(server, rescore)
    assert sent == distinct_answers(stored)
    assert verdicts(first.result, "judge") == truth
    sent, second = calls_during(server, rescore)
    assert sent == 0
    # A replayed answer reads as the first did: the same verdicts, reply and tokens.
    assert verdicts(second.result, "judge") == truth
    before, after = first.judge_calls["judge"], second.judge_calls["judge"]
    assert all(c.cached for c in after)
    assert [(c.reply, c.input_tokens, c.output_tokens) for c in after] == [
        (c.reply, c.input_tokens, c.output_tokens) for c in before
    ]
    assert {c.reply for c in after} == {"yes", "no"}
    assert all(c.input_tokens and c.output_tokens == 1 for c in after)


def test_the_cache_turned_off_asks_every_time(
    stored: pd.DataFrame, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORELENS_JUDGE_CACHE", "off")
    for _ in range(2):
        sent, result = calls_during(server, lambda: evaluate(stored, scorers=[is_polite]))
        assert sent == len(stored)
        assert verdicts(result) == expected(stored)
    assert not (Path(scorelens.get_tracking_uri()) / "judge_cache").exists()


def cached_answers(store: Path) -> int:
    return sum(1 for _ in (store / "judge_cache").rglob("*.json"))


def test_the_apps_calls_are_never_cached(
    stored: pd.DataFrame, server: LoopbackServer, store_dir: Path
) -> None:
    evaluate(stored, scorers=[is_polite])  # the judge's answers are in the cache now
    kept = cached_answers(store_dir)
    assert kept == distinct_answers(stored)
    for _ in range(2):
        sent, result = calls_during(
            server,
            lambda: evaluate(ROWS, scorers=[is_polite], predict_fn=support_app()),
        )
        # Running the app, every row asks its model, and the judge is asked afresh as well:
        # the cache serves re-scoring only.
        assert sent == 2 * len(ROWS)
        assert verdicts(result) == expected(scorelens.search_traces(run_id=result.run_id))
    assert cached_answers(store_dir) == kept


def test_the_api_key_is_neither_part_of_the_key_nor_written(
    stored: pd.DataFrame,
    server: LoopbackServer,
    store_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first_key, second_key = f"sk-first-{uuid.uuid4().hex}", f"sk-second-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", first_key)
    sent, _ = calls_during(server, lambda: evaluate(stored, scorers=[is_polite]))
    assert sent > 0
    monkeypatch.setenv("OPENAI_API_KEY", second_key)
    sent, result = calls_during(server, lambda: evaluate(stored, scorers=[is_polite]))
    assert sent == 0
    assert verdicts(result) == expected(stored)
    assert cached_answers(store_dir) > 0
    for path in store_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert first_key.encode() not in content, path
            assert second_key.encode() not in content, path


@scorer(name="judge")
def rate_limited_on_microwaves(outputs: str) -> bool:
    # The marker makes the loopback server answer 429 to every try of these rows.
    limited = " [rate-limit]" if "microwave" in (outputs or "").lower() else ""
    return ask_judge(_prompt(outputs) + limited).startswith("yes")


def test_a_rate_limit_is_retried_then_an_error_on_its_row(
    stored: pd.DataFrame, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = list(stored["response"])
    limited = [answer for answer in answers if "microwave" in answer.lower()]
    assert 0 < len(limited) < len(answers)
    sent, evaluation = calls_during(
        server, lambda: run_evaluation(stored, [rate_limited_on_microwaves], max_workers=1)
    )
    # The SDK's default: two retries after the first try. Failures are never cached.
    answered = {a for a in answers if a not in limited}
    assert sent == 3 * len(limited) + len(answered)
    frame = evaluation.result.result_df
    for answer, value, error in zip(
        answers, frame["judge/value"], frame["judge/error_message"], strict=True
    ):
        if answer in limited:
            assert "429" in error and pd.isna(value)
        else:
            assert value == polite(answer) and pd.isna(error)
    assert f"failed on {len(limited)} of {len(answers)} traces" in capsys.readouterr().err


def test_a_rate_limit_that_passes_is_followed_and_its_answer_kept(
    stored: pd.DataFrame, server: LoopbackServer
) -> None:
    run = uuid.uuid4().hex  # the server remembers which bodies it refused, across tests

    @scorer(name="judge")
    def limited_once(outputs: str) -> bool:
        return ask_judge(f"{_prompt(outputs)} [{run}] [rate-limit:1]").startswith("yes")

    sent, first = calls_during(
        server, lambda: run_evaluation(stored, [limited_once], max_workers=1)
    )
    assert sent == 2 * distinct_answers(stored)  # each question refused once, then answered
    assert verdicts(first.result, "judge") == expected(stored)
    sent, second = calls_during(server, lambda: evaluate(stored, scorers=[limited_once]))
    assert sent == 0
    assert verdicts(second, "judge") == expected(stored)
