"""The examples of MLflow's custom-scorer guide and its "Code-based scorer examples" page.

Sources:
  https://mlflow.org/docs/latest/genai/eval-monitor/scorers/custom
    (docs/docs/genai/eval-monitor/scorers/custom/index.mdx in mlflow/mlflow): "Rich feedback"
    (content_quality, comprehensive_check) and "Parsing Traces for Scoring" (Examples 1-3:
    retrieved_document_recall, tool_call_trajectory, is_routing_correct; the page gives no app
    or data for them, so `agent_app` and `TRACE_DATA` below are this file's)
  https://mlflow.org/docs/latest/genai/eval-monitor/scorers/custom/code-examples
    (.../custom/code-examples.mdx): "Define your app" (sample_app; the page never defines its
    `client`, here `openai.OpenAI()`), "Generate traces", Examples 1, 3.2, 4, 5, 6, 7 and 8.
    Examples 2, 3.1, 9 and 10 call MLflow's LLM judges (is_context_relevant, Safety,
    Guidelines), which need an LLM judge service and are not in ScoreLens.
Expected values come from running the same code on MLflow 3.17.2 (sqlite store) against the
same loopback OpenAI server (fixtures/openai_server.py). Rows are compared by trace or sorted:
search_traces orders traces by start time, and evaluate starts them in parallel threads.
"""

# MLflow's examples define untyped functions and override __call__ with their own parameters;
# they are kept as written.
# mypy: disable-error-code="no-untyped-def, override, no-untyped-call, assignment, type-arg"
# mypy: disable-error-code="union-attr, index, arg-type, no-any-return, attr-defined, operator"
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Optional  # noqa: UP035

import openai
import pandas as pd
import pytest

import scorelens as mlflow
from scorelens.entities import (
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Feedback,
    SpanType,
    Trace,
)
from scorelens.genai import scorer
from scorelens.genai.scorers import Scorer


def feedback_of(trace_id: str, name: str) -> Any:
    (found,) = [a for a in mlflow.get_trace(trace_id).info.assessments if a.name == name]
    return found


# -- custom/index: "Rich feedback" -----------------------------------------------------------


@scorer
def content_quality(outputs):
    return Feedback(
        value=0.85,  # Can be numeric, boolean, string, or other types
        rationale="Clear and accurate, minor grammar issues",
        # Optional: source of the assessment. Several source types are supported,
        # such as "HUMAN", "CODE", "LLM_JUDGE".
        source=AssessmentSource(source_type="HUMAN", source_id="grammar_checker_v1"),
        # Optional: additional metadata about the assessment.
        metadata={
            "annotator": "me@example.com",
        },
    )


@scorer
def comprehensive_check(inputs, outputs):
    return [
        Feedback(name="relevance", value=True, rationale="Directly addresses query"),
        Feedback(name="tone", value="professional", rationale="Appropriate for audience"),
        Feedback(name="length", value=150, rationale="Word count within limits"),
    ]


def test_rich_feedback(store_dir: Path) -> None:
    result = mlflow.genai.evaluate(
        data=[{"inputs": {"q": "What is MLflow?"}, "outputs": "An AI platform."}],
        scorers=[content_quality, comprehensive_check],
    )
    # A string value ("professional") has no mean.
    assert result.metrics == {
        "content_quality/mean": 0.85,
        "relevance/mean": 1.0,
        "length/mean": 150.0,
    }
    df = result.result_df
    assert list(df["tone/value"]) == ["professional"]
    assert list(df["content_quality/rationale"]) == ["Clear and accurate, minor grammar issues"]
    trace_id = df["trace_id"][0]
    quality = feedback_of(trace_id, "content_quality")
    assert (quality.source.source_type, quality.source.source_id) == (
        "HUMAN",
        "grammar_checker_v1",
    )
    assert quality.metadata["annotator"] == "me@example.com"
    length = feedback_of(trace_id, "length")
    assert (length.value, length.rationale) == (150, "Word count within limits")
    assert (length.source.source_type, length.source.source_id) == ("CODE", "default")


# -- custom/index: "Parsing Traces for Scoring" ------------------------------------------------


@scorer
def retrieved_document_recall(trace: Trace, expectations: dict) -> Feedback:
    # Search for retriever spans in the trace
    retriever_spans = trace.search_spans(span_type=SpanType.RETRIEVER)

    # If there are no retriever spans
    if not retriever_spans:
        return Feedback(
            value=0,
            rationale="No retriever span found in the trace.",
        )

    # Gather all retrieved document URLs from the retriever spans
    all_document_urls = []
    for span in retriever_spans:
        all_document_urls.extend([document["doc_uri"] for document in span.outputs])

    # Compute the recall
    true_positives = len(set(all_document_urls) & set(expectations["relevant_document_urls"]))
    expected_positives = len(expectations["relevant_document_urls"])
    recall = true_positives / expected_positives
    return Feedback(
        value=recall,
        rationale=f"Retrieved {true_positives} relevant documents out of {expected_positives} expected.",  # noqa: E501
    )


@scorer
def tool_call_trajectory(trace: Trace, expectations: dict) -> Feedback:
    # Search for tool call spans in the trace
    tool_call_spans = trace.search_spans(span_type=SpanType.TOOL)

    # Compare the tool trajectory with expectations
    actual_trajectory = [span.name for span in tool_call_spans]
    expected_trajectory = expectations["tool_call_trajectory"]

    if actual_trajectory == expected_trajectory:
        return Feedback(value=1, rationale="The tool call trajectory is correct.")
    else:
        return Feedback(
            value=0,
            rationale=(
                "The tool call trajectory is incorrect.\n"
                f"Expected: {expected_trajectory}.\n"
                f"Actual: {actual_trajectory}."
            ),
        )


@scorer
def is_routing_correct(trace: Trace, expectations: dict) -> Feedback:
    # Search for sub-agent spans in the trace
    sub_agent_spans = trace.search_spans(span_type=SpanType.AGENT)

    invoked_agents = [span.name for span in sub_agent_spans]
    expected_agents = expectations["expected_agents"]

    if invoked_agents == expected_agents:
        return Feedback(value=True, rationale="The sub-agents routing is correct.")
    else:
        return Feedback(
            value=False,
            rationale=(
                "The sub-agents routing is incorrect.\n"
                f"Expected: {expected_agents}.\n"
                f"Actual: {invoked_agents}."
            ),
        )


@mlflow.trace(span_type=SpanType.RETRIEVER)
def retrieve(question):
    return [{"doc_uri": "a", "page_content": "x"}, {"doc_uri": "b", "page_content": "y"}]


@mlflow.trace(span_type=SpanType.TOOL)
def get_weather(city):
    return "sunny"


@mlflow.trace(span_type=SpanType.AGENT)
def billing_agent(question):
    return get_weather("Paris")


@mlflow.trace
def agent_app(question):
    retrieve(question)
    return billing_agent(question)


TRACE_DATA = [
    {
        "inputs": {"question": "q1"},
        "expectations": {
            "relevant_document_urls": ["a", "c"],
            "tool_call_trajectory": ["get_weather"],
            "expected_agents": ["billing_agent"],
        },
    },
    {
        "inputs": {"question": "q2"},
        "expectations": {
            "relevant_document_urls": ["a", "b"],
            "tool_call_trajectory": ["search"],
            "expected_agents": ["support_agent"],
        },
    },
]


def test_parsing_traces_for_scoring(store_dir: Path) -> None:
    result = mlflow.genai.evaluate(
        data=TRACE_DATA,
        predict_fn=agent_app,
        scorers=[retrieved_document_recall, tool_call_trajectory, is_routing_correct],
    )
    assert result.metrics == {
        "retrieved_document_recall/mean": 0.75,
        "tool_call_trajectory/mean": 0.5,
        "is_routing_correct/mean": 0.5,
    }
    by_question = {}
    for trace in mlflow.search_traces(run_id=result.run_id, return_type="list"):
        by_question[json.loads(trace.data.request)["question"]] = trace.info.trace_id
    found = {
        (question, name): (feedback_of(trace_id, name).value, feedback_of(trace_id, name).rationale)
        for question, trace_id in by_question.items()
        for name in ["retrieved_document_recall", "tool_call_trajectory", "is_routing_correct"]
    }
    assert found == {
        ("q1", "retrieved_document_recall"): (
            0.5,
            "Retrieved 1 relevant documents out of 2 expected.",
        ),
        ("q1", "tool_call_trajectory"): (1, "The tool call trajectory is correct."),
        ("q1", "is_routing_correct"): (True, "The sub-agents routing is correct."),
        ("q2", "retrieved_document_recall"): (
            1.0,
            "Retrieved 2 relevant documents out of 2 expected.",
        ),
        ("q2", "tool_call_trajectory"): (
            0,
            "The tool call trajectory is incorrect.\n"
            "Expected: ['search'].\n"
            "Actual: ['get_weather'].",
        ),
        ("q2", "is_routing_correct"): (
            False,
            "The sub-agents routing is incorrect.\n"
            "Expected: ['support_agent'].\n"
            "Actual: ['billing_agent'].",
        ),
    }


# -- code-examples: "Define your app" and "Generate traces" -------------------------------------

ANSWERS = {
    "How much does a microwave cost?": (
        "Our countertop microwaves cost $89 to $249, and the built-in models start at $399."
    ),
    "Can I return the microwave I bought 2 months ago?": (
        "You can return most items within 30 days of delivery with the receipt. After 30 days "
        "we can offer repair under the 1-year warranty instead of a refund."
    ),
    "Website": (
        "Sorry about that! Please reset your password with the 'Forgot password' link. If that "
        "fails, clear your browser cookies and try again."
    ),
}
FALLBACK = "Thanks for reaching out! Could you share a few more details so I can help?"

eval_dataset = [
    {
        "inputs": {
            "messages": [
                {"role": "user", "content": "How much does a microwave cost?"},
            ]
        },
    },
    {
        "inputs": {
            "messages": [
                {
                    "role": "user",
                    "content": "Can I return the microwave I bought 2 months ago?",
                },
            ]
        },
    },
    {
        "inputs": {
            "messages": [
                {
                    "role": "user",
                    "content": "I'm having trouble with my account.  I can't log in.",
                },
                {
                    "role": "assistant",
                    "content": "I'm sorry to hear that you're having trouble with your account.  Are you using our website or mobile app?",  # noqa: E501
                },
                {"role": "user", "content": "Website"},
            ]
        },
    },
]


@pytest.fixture
def app(store_dir: Path, openai_env: str):
    # Select an LLM
    model_name = "gpt-4o-mini"
    mlflow.openai.autolog()
    client = openai.OpenAI()

    @mlflow.trace
    def sample_app(messages: list[dict[str, str]]):
        # 1. Prepare messages for the LLM
        messages_for_llm = [
            {"role": "system", "content": "You are a helpful assistant."},
            *messages,
        ]

        # 2. Call LLM to generate a response
        response = client.chat.completions.create(
            model=model_name,
            messages=messages_for_llm,
        )
        return response.choices[0].message.content

    assert sample_app([{"role": "user", "content": "What is the capital of France?"}]) == FALLBACK
    yield sample_app, client
    mlflow.openai.autolog(disable=True)


@pytest.fixture
def generated_traces(app) -> pd.DataFrame:
    sample_app, _ = app

    @scorer
    def placeholder_metric() -> int:
        # placeholder return value
        return 1

    eval_results = mlflow.genai.evaluate(
        data=eval_dataset, predict_fn=sample_app, scorers=[placeholder_metric]
    )

    generated_traces = mlflow.search_traces(run_id=eval_results.run_id)
    assert eval_results.metrics == {"placeholder_metric/mean": 1.0}
    assert sorted(generated_traces["response"]) == sorted(ANSWERS.values())
    return generated_traces


def by_answer(result: Any, column: str, generated: pd.DataFrame) -> dict[str, Any]:
    """A result_df column keyed by the answer of each trace (rows come in the data's order)."""
    df = result.result_df
    assert list(df["trace_id"]) == list(generated["trace_id"])
    answer = dict(zip(generated["trace_id"], generated["response"], strict=True))
    last_question = {v: k for k, v in ANSWERS.items()}
    return {last_question[answer[t]]: v for t, v in zip(df["trace_id"], df[column], strict=True)}


def test_example_1_access_data_from_the_trace(generated_traces: pd.DataFrame) -> None:
    @scorer
    def llm_response_time_good(trace: Trace) -> Feedback:
        # Search particular span type from the trace
        llm_span = trace.search_spans(span_type=SpanType.CHAT_MODEL)[0]

        response_time = (llm_span.end_time_ns - llm_span.start_time_ns) / 1e9  # convert to seconds
        max_duration = 5.0
        if response_time <= max_duration:
            return Feedback(
                value="yes",
                rationale=f"LLM response time {response_time:.2f}s is within the {max_duration}s limit.",  # noqa: E501
            )
        else:
            return Feedback(
                value="no",
                rationale=f"LLM response time {response_time:.2f}s exceeds the {max_duration}s limit.",  # noqa: E501
            )

    # Evaluate the scorer using the pre-generated traces from the prerequisite code block.
    span_check_eval_results = mlflow.genai.evaluate(
        data=generated_traces, scorers=[llm_response_time_good]
    )

    # The spans' durations, not the clock, decide: what the scorer saw is what was stored.
    expected = {}
    for trace_id in generated_traces["trace_id"]:
        (llm_span,) = mlflow.get_trace(trace_id).search_spans(span_type=SpanType.CHAT_MODEL)
        seconds = (llm_span.end_time_ns - llm_span.start_time_ns) / 1e9
        assert seconds <= 5.0
        expected[trace_id] = f"LLM response time {seconds:.2f}s is within the 5.0s limit."
    df = span_check_eval_results.result_df
    assert span_check_eval_results.metrics == {"llm_response_time_good/mean": 1.0}
    assert list(df["llm_response_time_good/value"]) == ["yes", "yes", "yes"]
    assert list(df["llm_response_time_good/rationale"]) == [expected[t] for t in df["trace_id"]]


expectations_eval_dataset_list = [
    {
        "inputs": {"messages": [{"role": "user", "content": "What is 2+2?"}]},
        "expectations": {
            "expected_response": "2+2 equals 4.",
            "expected_keywords": ["4", "four", "equals"],
        },
    },
    {
        "inputs": {"messages": [{"role": "user", "content": "Describe MLflow in one sentence."}]},
        "expectations": {
            "expected_response": "MLflow is the largest open source AI engineering platform, enabling teams to build production-quality agents and ML models.",  # noqa: E501
            "expected_keywords": [
                "mlflow",
                "open-source",
                "platform",
                "machine learning",
            ],
        },
    },
    {
        "inputs": {"messages": [{"role": "user", "content": "Say hello."}]},
        "expectations": {
            "expected_response": "Hello there!",
            # No keywords needed for this one, but the field can be omitted or empty
        },
    },
]


def test_example_3_2_keyword_check_from_expectations(
    app, capsys: pytest.CaptureFixture[str]
) -> None:
    sample_app, _ = app

    @scorer
    def keyword_presence_scorer(outputs: str, expectations: dict[str, Any]) -> Feedback:
        expected_keywords = expectations.get("expected_keywords")
        print(expected_keywords)
        if expected_keywords is None:
            return Feedback(value="yes", rationale="No keywords were expected in the response.")

        missing_keywords = []
        for keyword in expected_keywords:
            if keyword.lower() not in outputs.lower():
                missing_keywords.append(keyword)

        if not missing_keywords:
            return Feedback(
                value="yes", rationale="All expected keywords are present in the response."
            )
        else:
            return Feedback(
                value="no", rationale=f"Missing keywords: {', '.join(missing_keywords)}."
            )

    keyword_presence_eval_results = mlflow.genai.evaluate(
        data=expectations_eval_dataset_list,
        predict_fn=sample_app,  # sample_app is from the prerequisite section
        scorers=[keyword_presence_scorer],
    )

    df = keyword_presence_eval_results.result_df
    assert keyword_presence_eval_results.metrics == {
        "keyword_presence_scorer/mean": pytest.approx(1 / 3)
    }
    assert list(df["keyword_presence_scorer/value"]) == ["no", "no", "yes"]
    assert list(df["keyword_presence_scorer/rationale"]) == [
        "Missing keywords: 4, four, equals.",
        "Missing keywords: mlflow, open-source, platform, machine learning.",
        "No keywords were expected in the response.",
    ]
    assert list(df["expected_response/value"]) == [
        e["expectations"]["expected_response"] for e in expectations_eval_dataset_list
    ]
    printed = capsys.readouterr().out.splitlines()
    assert sorted(line for line in printed if line.startswith(("[", "None"))) == [
        "None",
        "['4', 'four', 'equals']",
        "['mlflow', 'open-source', 'platform', 'machine learning']",
    ]


def test_example_4_return_multiple_feedback_objects(generated_traces: pd.DataFrame) -> None:
    @scorer
    def comprehensive_response_checker(outputs: str) -> list[Feedback]:
        feedbacks = []
        # 1. Check if the response is not empty
        feedbacks.append(
            Feedback(name="is_not_empty_check", value="yes" if outputs != "" else "no")
        )
        # 2. Calculate response character length
        char_length = len(outputs)
        feedbacks.append(Feedback(name="response_char_length", value=char_length))
        return feedbacks

    # Evaluate the scorer using the pre-generated traces from the prerequisite code block.
    multi_feedback_eval_results = mlflow.genai.evaluate(
        data=generated_traces, scorers=[comprehensive_response_checker]
    )

    # "The result will have two columns: is_not_empty_check and response_char_length"
    assert multi_feedback_eval_results.metrics == {
        "is_not_empty_check/mean": 1.0,
        "response_char_length/mean": pytest.approx(367 / 3),
    }
    lengths = by_answer(multi_feedback_eval_results, "response_char_length/value", generated_traces)
    assert lengths == {
        "How much does a microwave cost?": 82,
        "Can I return the microwave I bought 2 months ago?": 151,
        "Website": 134,
    }
    df = multi_feedback_eval_results.result_df
    assert list(df["is_not_empty_check/value"]) == ["yes", "yes", "yes"]
    assert "comprehensive_response_checker/value" not in df.columns


def test_example_5_use_your_own_llm_for_a_judge(app, generated_traces: pd.DataFrame) -> None:
    _, client = app
    # Define the prompts for the Judge LLM.
    judge_system_prompt = """
You are an impartial AI assistant responsible for evaluating the quality of a response generated by another AI model.
Your evaluation should be based on the original user query and the AI's response.
Provide a quality score as an integer from 1 to 5 (1=Poor, 2=Fair, 3=Good, 4=Very Good, 5=Excellent).
Also, provide a brief rationale for your score.

Your output MUST be a single valid JSON object with two keys: "score" (an integer) and "rationale" (a string).
Example:
{"score": 4, "rationale": "The response was mostly accurate and helpful, addressing the user's query directly."}
"""  # noqa: E501

    judge_user_prompt = """
Please evaluate the AI's Response below based on the Original User Query.

Original User Query:
```{user_query}```

AI's Response:
```{llm_response_from_app}```

Provide your evaluation strictly as a JSON object with "score" and "rationale" keys.
"""

    @scorer
    def answer_quality(inputs: dict[str, Any], outputs: str) -> Feedback:
        user_query = inputs["messages"][-1]["content"]

        # Call the Judge LLM using the OpenAI SDK client.
        judge_llm_response_obj = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": judge_system_prompt},
                {
                    "role": "user",
                    "content": judge_user_prompt.format(
                        user_query=user_query, llm_response_from_app=outputs
                    ),
                },
            ],
            max_tokens=200,  # Max tokens for the judge's rationale
            temperature=0.0,  # For more deterministic judging
        )
        judge_llm_output_text = judge_llm_response_obj.choices[0].message.content

        # Parse the Judge LLM's JSON output.
        judge_eval_json = json.loads(judge_llm_output_text)
        parsed_score = int(judge_eval_json["score"])
        parsed_rationale = judge_eval_json["rationale"]

        return Feedback(
            value=parsed_score,
            rationale=parsed_rationale,
            # Set the source of the assessment to indicate the LLM judge used to generate the feedback  # noqa: E501
            source=AssessmentSource(
                source_type=AssessmentSourceType.LLM_JUDGE,
                source_id="claude-sonnet-4-5",
            ),
        )

    # Evaluate the scorer using the pre-generated traces from the prerequisite code block.
    custom_llm_judge_eval_results = mlflow.genai.evaluate(
        data=generated_traces, scorers=[answer_quality]
    )

    # The loopback server answers in prose, not JSON: json.loads fails, and MLflow records the
    # error and goes on.
    df = custom_llm_judge_eval_results.result_df
    assert custom_llm_judge_eval_results.metrics == {}
    assert df["answer_quality/value"].isna().all()
    assert (
        list(df["answer_quality/error_message"])
        == ["Expecting value: line 1 column 1 (char 0)"] * 3
    )
    for trace_id in generated_traces["trace_id"]:
        feedback = feedback_of(trace_id, "answer_quality")
        assert feedback.value is None
        assert feedback.error.error_code == "SCORER_ERROR"
        assert feedback.error.error_message == "Expecting value: line 1 column 1 (char 0)"


def test_example_6_class_based_scorer_definition(generated_traces: pd.DataFrame) -> None:
    # Scorer class is a Pydantic object
    class ResponseQualityScorer(Scorer):
        # The `name` field is mandatory
        name: str = "response_quality"

        # Define additional fields
        min_length: int = 50
        required_sections: Optional[list[str]] = None  # noqa: UP045

        # Override the __call__ method to implement the scorer logic
        def __call__(self, outputs: str) -> Feedback:
            issues = []

            # Check length
            if len(outputs.split()) < self.min_length:
                issues.append(f"Too short (minimum {self.min_length} words)")

            # Check required sections
            missing = [s for s in self.required_sections if s not in outputs]
            if missing:
                issues.append(f"Missing sections: {', '.join(missing)}")

            if issues:
                return Feedback(value=False, rationale="; ".join(issues))

            return Feedback(value=True, rationale="Response meets all quality criteria")

    response_quality_scorer = ResponseQualityScorer(required_sections=["# Summary", "# Sources"])

    # Evaluate the scorer using the pre-generated traces from the prerequisite code block.
    class_based_scorer_results = mlflow.genai.evaluate(
        data=generated_traces, scorers=[response_quality_scorer]
    )

    df = class_based_scorer_results.result_df
    assert class_based_scorer_results.metrics == {"response_quality/mean": 0.0}
    assert list(df["response_quality/value"]) == [False, False, False]
    assert (
        list(df["response_quality/rationale"])
        == ["Too short (minimum 50 words); Missing sections: # Summary, # Sources"] * 3
    )


def test_example_7_error_handling_in_scorers(generated_traces: pd.DataFrame) -> None:
    @scorer
    def resilient_scorer(outputs, trace=None):
        try:
            response = outputs.get("response")
            if not response:
                return Feedback(
                    value=None,
                    error=AssessmentError(
                        error_code="MISSING_RESPONSE",
                        error_message="No response field in outputs",
                    ),
                )
            # Your evaluation logic
            return Feedback(value=True, rationale="Valid response")
        except Exception:
            # Let MLflow handle the error gracefully
            raise

    # Evaluation continues even if some scorers fail.
    results = mlflow.genai.evaluate(data=generated_traces, scorers=[resilient_scorer])

    # sample_app returns a str: outputs.get raises, and MLflow records the error.
    df = results.result_df
    assert results.metrics == {}
    assert df["resilient_scorer/value"].isna().all()
    assert list(df["resilient_scorer/error_message"]) == ["'str' object has no attribute 'get'"] * 3
    for trace_id in generated_traces["trace_id"]:
        feedback = feedback_of(trace_id, "resilient_scorer")
        assert (feedback.value, feedback.error.error_code) == (None, "SCORER_ERROR")


def test_example_8_naming_conventions_in_scorers(generated_traces: pd.DataFrame) -> None:
    # Primitive value or single `Feedback` without a name: The scorer function name becomes the metric name.  # noqa: E501
    @scorer
    def decorator_primitive(outputs: str) -> int:
        # metric name = "decorator_primitive"
        return 1

    @scorer
    def decorator_unnamed_feedback(outputs: Any) -> Feedback:
        # metric name = "decorator_unnamed_feedback"
        return Feedback(value=True, rationale="Good quality")

    # Single `Feedback` with an explicit name: The name specified in the `Feedback` object is used as the metric name.  # noqa: E501
    @scorer
    def decorator_feedback_named(outputs: Any) -> Feedback:
        # metric name = "decorator_named_feedback"
        return Feedback(
            name="decorator_named_feedback",
            value=True,
            rationale="Factual accuracy is high",
        )

    # Multiple `Feedback` objects: Names specified in each `Feedback` object are preserved.
    # You must specify a unique name for each `Feedback`.
    @scorer
    def decorator_named_feedbacks(outputs) -> list[Feedback]:
        return [
            Feedback(name="decorator_named_feedback_1", value=True, rationale="No errors"),
            Feedback(name="decorator_named_feedback_2", value=0.9, rationale="Very clear"),
        ]

    # Class returning primitive value
    class ScorerPrimitive(Scorer):
        # metric name = "scorer_primitive"
        name: str = "scorer_primitive"

        def __call__(self, outputs: str) -> int:
            return 1

    scorer_primitive = ScorerPrimitive()

    # Class returning a Feedback object without a name
    class ScorerFeedbackUnnamed(Scorer):
        # metric name = "scorer_named_feedback"
        name: str = "scorer_named_feedback"

        def __call__(self, outputs: str) -> Feedback:
            return Feedback(value=True, rationale="Good")

    scorer_feedback_unnamed = ScorerFeedbackUnnamed()

    # Class returning a Feedback object with a name
    class ScorerFeedbackNamed(Scorer):
        # metric name = "scorer_named_feedback"
        name: str = "scorer_feedback_named"

        def __call__(self, outputs: str) -> Feedback:
            return Feedback(name="scorer_named_feedback", value=True, rationale="Good")

    scorer_feedback_named = ScorerFeedbackNamed()

    # Class returning multiple Feedback objects with names
    class ScorerNamedFeedbacks(Scorer):
        # metric names = ["scorer_named_feedback_1", "scorer_named_feedback_2"]
        name: str = "scorer_named_feedbacks"  # Not used

        def __call__(self, outputs: str) -> List[Feedback]:  # noqa: UP006
            return [
                Feedback(name="scorer_named_feedback_1", value=True, rationale="Good"),
                Feedback(name="scorer_named_feedback_2", value=1, rationale="ok"),
            ]

    scorer_named_feedbacks = ScorerNamedFeedbacks()

    result = mlflow.genai.evaluate(
        data=generated_traces,
        scorers=[
            decorator_primitive,
            decorator_unnamed_feedback,
            decorator_feedback_named,
            decorator_named_feedbacks,
            scorer_primitive,
            scorer_feedback_unnamed,
            scorer_feedback_named,
            scorer_named_feedbacks,
        ],
    )

    # Two scorers give "scorer_named_feedback" (one by its name field, one by its Feedback's
    # name): one metric, as in MLflow.
    assert result.metrics == {
        "decorator_primitive/mean": 1.0,
        "decorator_unnamed_feedback/mean": 1.0,
        "decorator_named_feedback/mean": 1.0,
        "decorator_named_feedback_1/mean": 1.0,
        "decorator_named_feedback_2/mean": 0.9,
        "scorer_primitive/mean": 1.0,
        "scorer_named_feedback/mean": 1.0,
        "scorer_named_feedback_1/mean": 1.0,
        "scorer_named_feedback_2/mean": 1.0,
    }
