"""Scorers score many traces at once (threads, or one event loop for `async def`), and nothing
about the results shows it: trace order, aggregates and errors are a sequential run's.

Concurrency is shown without clocks: rows that wait for one another (a barrier) can only all
finish when that many run at once, and a counter of rows in flight gives the most at once.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import openai
import pandas as pd
import pytest
from fixtures.openai_server import ANSWERS, FALLBACK, POLITE_MARKERS, InFlight, LoopbackServer
from fixtures.scorers import JUDGE_MODEL, POLITENESS_PROMPT, is_polite, response_length

import scorelens
from scorelens.entities import Feedback
from scorelens.genai import evaluate
from scorelens.genai.evaluation import generate_traces
from scorelens.genai.scorers import Scorer, scorer

CANNED = [answer for _, answer in ANSWERS] + [FALLBACK]


@scorelens.trace
def canned_app(number: int) -> str:
    """Answers as the loopback server's support bot does, without asking it."""
    return CANNED[number % len(CANNED)]


@pytest.fixture
def stored(store_dir: Path) -> pd.DataFrame:
    generate_traces([{"inputs": {"number": n}} for n in range(48)], canned_app)
    return scorelens.search_traces()


class Meeting:
    """Rows that wait for one another: `attend` returns only once `size` rows are in (with
    fewer at once, it breaks after `timeout` seconds), then the most rows seen at once."""

    def __init__(self, size: int, timeout: float = 30) -> None:
        self.barrier = threading.Barrier(size, timeout=timeout)
        self.in_flight = InFlight()

    def attend(self) -> int:
        with self.in_flight.one():
            self.barrier.wait()
            return self.in_flight.most


def meeting_scorer(meeting: Meeting) -> Scorer:
    @scorer(aggregations=["max"])
    def rows_at_once(outputs: str) -> int:
        return meeting.attend()

    return rows_at_once


def test_rows_finishing_out_of_order_keep_trace_order(stored: pd.DataFrame) -> None:
    position = {inputs["number"]: i for i, inputs in enumerate(stored["inputs"])}
    finished = [threading.Event() for _ in range(len(stored))]
    order: list[int] = []

    @scorer
    def finishes_late(inputs: dict[str, int], outputs: str) -> int:
        row = position[inputs["number"]]
        if row % 2 == 0:  # each even row waits for the odd one after it
            assert finished[row + 1].wait(timeout=30)
        order.append(row)
        finished[row].set()
        return len(outputs)

    result = evaluate(stored, scorers=[finishes_late], max_workers=4)
    assert order != sorted(order)  # they did finish out of order
    assert list(result.result_df["trace_id"]) == list(stored["trace_id"])
    assert list(result.result_df["finishes_late/value"]) == [len(a) for a in stored["response"]]


def test_aggregates_match_a_sequential_run(
    stored: pd.DataFrame, openai_server: LoopbackServer, openai_env: str
) -> None:
    @scorer
    def facts(outputs: str) -> Feedback:
        return Feedback(value="$" in outputs, rationale=f"{outputs.count('$')} prices")

    scorers = [response_length, facts, is_polite]
    parallel = evaluate(stored, scorers=scorers, max_workers=8)
    sequential = evaluate(stored, scorers=scorers, max_workers=1)

    assert list(parallel.result_df["trace_id"]) == list(stored["trace_id"])
    columns = [c for c in parallel.result_df.columns if c.endswith(("/value", "/rationale"))]
    assert len(columns) == 4
    pd.testing.assert_frame_equal(parallel.result_df[columns], sequential.result_df[columns])
    assert parallel.metrics == sequential.metrics
    answers = list(stored["response"])
    assert list(parallel.result_df["response_length/value"]) == [len(a) for a in answers]
    assert list(parallel.result_df["is_polite/value"]) == [
        any(m in a.lower() for m in POLITE_MARKERS) for a in answers
    ]


def test_rows_are_scored_in_threads_at_once(stored: pd.DataFrame) -> None:
    result = evaluate(stored, scorers=[meeting_scorer(Meeting(4))], max_workers=4)
    # Every row met three others, and never more than four ran: the pool's size.
    assert result.metrics == {"rows_at_once/max": 4}
    assert "rows_at_once/error_message" not in result.result_df.columns


def test_scorelens_max_workers_sizes_the_pool(
    stored: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORELENS_MAX_WORKERS", "3")
    result = evaluate(stored, scorers=[meeting_scorer(Meeting(3))])
    assert result.metrics == {"rows_at_once/max": 3}
    # The caller's figure wins over the environment's.
    result = evaluate(stored, scorers=[meeting_scorer(Meeting(2))], max_workers=2)
    assert result.metrics == {"rows_at_once/max": 2}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lots", "SCORELENS_MAX_WORKERS='lots' must be a whole number"),
        ("0", "max_workers must be 1 or more, got 0"),
    ],
)
def test_a_bad_scorelens_max_workers_is_a_clear_error(
    stored: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("SCORELENS_MAX_WORKERS", value)
    with pytest.raises(ValueError, match=message):
        evaluate(stored, scorers=[response_length])


def test_an_exception_stays_on_its_row(stored: pd.DataFrame) -> None:
    @scorer
    def price(outputs: str) -> float:
        if "$" not in outputs:
            raise LookupError("no price in this answer")
        return float(outputs.split("$")[1].split()[0].rstrip(".,").replace(",", ""))

    frame = evaluate(stored, scorers=[price], max_workers=6).result_df
    for answer, value, error in zip(
        stored["response"], frame["price/value"], frame["price/error_message"], strict=True
    ):
        if "$" in answer:
            assert value > 0 and pd.isna(error)
        else:
            assert error == "no price in this answer" and pd.isna(value)


def test_an_async_scorer_is_awaited_rows_at_once(
    stored: pd.DataFrame, openai_server: LoopbackServer, openai_env: str
) -> None:
    size = 5
    in_flight = InFlight()
    everyone_in = asyncio.Event()

    @scorer
    async def polite_async(outputs: str) -> bool:
        with in_flight.one():
            if in_flight.most >= size:
                everyone_in.set()
            # On one event loop, rows only overlap if each is awaited while others start.
            await asyncio.wait_for(everyone_in.wait(), timeout=30)
            async with openai.AsyncOpenAI() as client:
                response = await client.chat.completions.create(
                    model=JUDGE_MODEL,
                    messages=[
                        {"role": "user", "content": POLITENESS_PROMPT.format(answer=outputs)}
                    ],
                )
        if "microwave" in outputs.lower():
            raise ValueError("microwaves are out of scope")
        return (response.choices[0].message.content or "").startswith("yes")

    frame = evaluate(stored, scorers=[polite_async], max_workers=size).result_df
    assert in_flight.most == size
    for answer, value, error in zip(
        stored["response"],
        frame["polite_async/value"],
        frame["polite_async/error_message"],
        strict=True,
    ):
        if "microwave" in answer.lower():
            assert error == "microwaves are out of scope" and pd.isna(value)
        else:
            assert value == any(m in answer.lower() for m in POLITE_MARKERS)
