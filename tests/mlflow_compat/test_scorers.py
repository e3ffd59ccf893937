"""Scorers as MLflow defines them: `@scorer` functions and `Scorer` subclasses, pydantic models.

Sources:
  MLflow docs, "Create custom code-based scorers"
    (docs/docs/genai/eval-monitor/scorers/custom/index.mdx in mlflow/mlflow):
    "Define scorers with the Scorer class" (CustomScorer), "State management" (GoodScorer),
    "Metric naming behavior" (its table)
  mlflow/mlflow tests/genai/scorers/test_scorer.py: AlwaysYesScorer and always_yes
    (test_scorer_existence_in_metrics, test_scorer_name_works),
    test_custom_scorer_allow_none_return, test_custom_scorer_overwrites_default_feedback_name,
    test_custom_scorer_does_not_overwrite_feedback_name_when_returning_list
  mlflow/genai/scorers/base.py (MLflow 3.17.2): Scorer.run, which calls the scorer with the
    parameters its __call__ declares and checks the return type
Expected values were checked by running the same code on MLflow 3.17.2 with a local store.
"""

# MLflow's examples define untyped functions and override __call__ with their own parameters;
# they are kept as written.
# mypy: disable-error-code="no-untyped-def, override, no-untyped-call, assignment"
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pydantic
import pytest

import scorelens as mlflow
import scorelens.genai
import scorelens.genai.scorers
from scorelens.entities import Feedback
from scorelens.genai import Scorer, scorer

# -- "Define scorers with the Scorer class" ----------------------------------------------------


# Scorer class is a Pydantic object
class CustomScorer(Scorer):
    # The `name` field is mandatory
    name: str = "response_quality"
    # Define additional fields
    my_custom_field_1: int = 50
    my_custom_field_2: Optional[list[str]] = None  # noqa: UP045  (MLflow's example, verbatim)

    # Override the __call__ method to implement the scorer logic
    def __call__(self, outputs: str) -> Feedback:
        # Your logic here
        return Feedback(value=True, rationale="Response meets all quality criteria")


def test_a_scorer_class_is_made_with_or_without_arguments() -> None:
    default = CustomScorer()
    assert (default.name, default.my_custom_field_1, default.my_custom_field_2) == (
        "response_quality",
        50,
        None,
    )
    configured = CustomScorer(name="strict_quality", my_custom_field_1=80, my_custom_field_2=["a"])
    assert (configured.name, configured.my_custom_field_1) == ("strict_quality", 80)
    assert configured.my_custom_field_2 == ["a"]
    assert configured.aggregations is None and configured.description is None


def test_fields_are_validated_and_converted_as_pydantic_does() -> None:
    assert CustomScorer(my_custom_field_1="7").my_custom_field_1 == 7  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="my_custom_field_1"):
        CustomScorer(my_custom_field_1="many")  # type: ignore[arg-type]
    # Unknown keyword arguments are ignored, as pydantic's default is.
    assert not hasattr(CustomScorer(unknown_field=1), "unknown_field")  # type: ignore[call-arg]

    class Unnamed(Scorer):
        def __call__(self, outputs):
            return 1

    with pytest.raises(pydantic.ValidationError, match="name"):
        Unnamed()  # type: ignore[call-arg]
    assert Unnamed(name="named").run(outputs="x") == 1


def test_run_returns_the_feedback_named_after_the_scorer() -> None:
    feedback = CustomScorer().run(inputs={"q": "?"}, outputs="An answer")
    assert isinstance(feedback, Feedback)
    assert (feedback.name, feedback.value) == ("response_quality", True)
    assert feedback.rationale == "Response meets all quality criteria"


def test_a_scorer_class_runs_in_evaluate(store_dir: Path) -> None:
    data = [{"inputs": {"q": "a"}, "outputs": "one"}, {"inputs": {"q": "b"}, "outputs": "two"}]
    result = mlflow.genai.evaluate(data=data, scorers=[CustomScorer()])
    assert result.metrics == {"response_quality/mean": 1.0}
    assert list(result.result_df["response_quality/value"]) == [True, True]


def test_the_state_management_example_fails_as_in_mlflow() -> None:
    # CORRECT: Use instance attributes
    class GoodScorer(Scorer):
        results: list[str] = None

        name: str = "good_scorer"

        def __init__(self):
            self.results = []  # Per-instance state

        def __call__(self, outputs, **kwargs):
            self.results.append(outputs)  # Safe
            return Feedback(value=True)

    # The example's __init__ skips pydantic's, so MLflow 3.17.2 raises this too.
    with pytest.raises(AttributeError, match="__pydantic_fields_set__"):
        GoodScorer()


# -- MLflow's tests of custom scorers ----------------------------------------------------------


def always_yes(inputs, outputs, expectations, trace):
    return "yes"


class AlwaysYesScorer(Scorer):
    def __call__(self, inputs, outputs, expectations, trace):
        return "yes"


SAMPLE_DATA = [
    {
        "inputs": {"message": [{"role": "user", "content": "What is Spark??"}]},
        "outputs": {"choices": [{"message": {"content": "actual response for first question"}}]},
        "expectations": {"expected_response": "expected response for first question"},
    },
    {
        "inputs": {
            "messages": [
                {"role": "user", "content": "How can you minimize data shuffling in Spark?"}
            ]
        },
        "outputs": {"choices": [{"message": {"content": "actual response for second question"}}]},
        "expectations": {"expected_response": "expected response for second question"},
    },
]


@pytest.mark.parametrize(
    "dummy_scorer",
    [AlwaysYesScorer(name="always_yes"), scorer(always_yes)],
    ids=["class", "decorator"],
)
def test_scorer_existence_in_metrics(store_dir: Path, dummy_scorer: Scorer) -> None:
    result = mlflow.genai.evaluate(data=SAMPLE_DATA, scorers=[dummy_scorer])
    # "yes" counts as 1, as MLflow aggregates it.
    assert result.metrics == {"always_yes/mean": 1.0}


@pytest.mark.parametrize(
    "dummy_scorer",
    [AlwaysYesScorer(name="always_no"), scorer(name="always_no")(always_yes)],
    ids=["class", "decorator"],
)
def test_scorer_name_works(store_dir: Path, dummy_scorer: Scorer) -> None:
    result = mlflow.genai.evaluate(data=SAMPLE_DATA, scorers=[dummy_scorer])
    assert result.metrics == {"always_no/mean": 1.0}


def test_custom_scorer_allow_none_return() -> None:
    @scorer
    def dummy_scorer(inputs, outputs):
        return None

    assert dummy_scorer.run(inputs={"question": "query"}, outputs="answer") is None


@pytest.mark.parametrize(
    ("scorer_return", "expected_feedback_name"),
    [
        # Single feedback object with default name -> should be renamed to "my_scorer"
        (Feedback(value=42, rationale="rationale"), "my_scorer"),
        # Single feedback object with custom name -> should NOT be renamed to "my_scorer"
        (Feedback(name="custom_name", value=42, rationale="rationale"), "custom_name"),
    ],
)
def test_custom_scorer_overwrites_default_feedback_name(
    scorer_return: Feedback, expected_feedback_name: str
) -> None:
    @scorer
    def my_scorer(inputs, outputs):
        return scorer_return

    feedback = my_scorer.run(
        inputs={"question": "What is the capital of France?"},
        outputs="The capital of France is Paris.",
    )
    assert feedback.name == expected_feedback_name
    assert feedback.value == 42


def test_custom_scorer_does_not_overwrite_feedback_name_when_returning_list() -> None:
    @scorer
    def my_scorer(inputs, outputs):
        return [
            Feedback(name="big_question", value=42, rationale="It's the answer to everything"),
            Feedback(name="small_question", value=1, rationale="Not sure, just a guess"),
        ]

    feedbacks = my_scorer.run(
        inputs={"question": "What is the capital of France?"},
        outputs="The capital of France is Paris.",
    )
    assert feedbacks[0].name == "big_question"
    assert feedbacks[1].name == "small_question"


# -- Scorer.run, as MLflow's base.py has it ----------------------------------------------------


def test_run_returns_primitives_as_they_are_and_raises_what_the_scorer_raises() -> None:
    @scorer
    def count(outputs):
        return len(outputs)

    @scorer
    def verdict(outputs):
        return "yes" if outputs else "no"

    @scorer
    def broken(outputs):
        raise ValueError("the judge is down")

    @scorer
    def wrong_type(outputs):
        return {"score": 1}

    assert count.run(outputs="four") == 4
    assert verdict.run(outputs="") == "no"
    with pytest.raises(ValueError, match="the judge is down"):
        broken.run(outputs="x")
    with pytest.raises(Exception, match=r"must return one of .* Got dict"):
        wrong_type.run(outputs="x")


def test_run_passes_only_the_parameters_the_scorer_declares() -> None:
    @scorer
    def takes_rest(outputs, **kwargs):
        return len(kwargs)

    class TakesRest(Scorer):
        name: str = "takes_rest"

        def __call__(self, outputs, **kwargs):
            return len(kwargs)

    arguments: dict[str, Any] = {"inputs": {"q": 1}, "outputs": "o", "expectations": {"e": 2}}
    assert takes_rest.run(**arguments) == 0
    assert TakesRest().run(**arguments) == 0


# -- "Metric naming behavior" ------------------------------------------------------------------


class ClassPrimitive(Scorer):
    name: str = "class_primitive"

    def __call__(self, outputs):
        return len(outputs)


class ClassUnnamedFeedback(Scorer):
    name: str = "class_unnamed"

    def __call__(self, outputs):
        return Feedback(value=1)


class ClassNamedFeedback(Scorer):
    name: str = "class_named"

    def __call__(self, outputs):
        return Feedback(name="class_feedback_name", value=1)


class ClassFeedbackList(Scorer):
    name: str = "class_list"

    def __call__(self, outputs):
        return [Feedback(name="class_first", value=1), Feedback(name="class_second", value=2)]


@scorer
def function_primitive(outputs):
    return len(outputs)


@scorer
def function_unnamed(outputs):
    return Feedback(value=1)


@scorer
def function_named(outputs):
    return Feedback(name="function_feedback_name", value=1)


@scorer
def function_list(outputs):
    return [Feedback(name="function_first", value=1), Feedback(name="function_second", value=2)]


def test_metric_naming_follows_the_table(store_dir: Path) -> None:
    scorers = [
        ClassPrimitive(),
        ClassUnnamedFeedback(),
        ClassNamedFeedback(),
        ClassFeedbackList(),
        function_primitive,
        function_unnamed,
        function_named,
        function_list,
    ]
    result = mlflow.genai.evaluate(data=[{"inputs": {"q": 1}, "outputs": "abc"}], scorers=scorers)
    assert set(result.metrics) == {
        "class_primitive/mean",  # the name field
        "class_unnamed/mean",
        "class_feedback_name/mean",  # the Feedback's name
        "class_first/mean",
        "class_second/mean",
        "function_primitive/mean",  # the function name
        "function_unnamed/mean",
        "function_feedback_name/mean",
        "function_first/mean",
        "function_second/mean",
    }
    # A list of named Feedback gives only their columns, none for the scorer itself.
    columns = set(result.result_df.columns)
    assert {"class_first/value", "function_second/value"} <= columns
    assert not {"class_list/value", "function_list/value"} & columns


# -- where Scorer lives ------------------------------------------------------------------------


def test_scorer_is_importable_from_mlflows_module_paths() -> None:
    from scorelens.genai.scorers.base import Scorer as BaseScorer
    from scorelens.genai.scorers.base import scorer as base_scorer

    assert BaseScorer is Scorer is scorelens.genai.scorers.Scorer is scorelens.genai.Scorer
    assert base_scorer is scorer is scorelens.genai.scorers.scorer
    assert isinstance(function_primitive, BaseScorer)


def test_the_decorator_takes_mlflows_arguments_and_keeps_the_function_callable() -> None:
    @scorer(name="length", description="How long the answer is", aggregations=["min", "max"])
    def response_length(outputs: str) -> int:
        return len(outputs)

    assert (response_length.name, response_length.description) == (
        "length",
        "How long the answer is",
    )
    assert response_length.aggregations == ["min", "max"]
    assert function_primitive.aggregations is None
    assert response_length(outputs="four") == 4
