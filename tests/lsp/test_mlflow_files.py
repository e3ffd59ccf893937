"""MLflow scorer files in the editor, unchanged: `mlflow` imports, yes/no verdicts, Scorer classes.

The worker maps every `mlflow` module path to ScoreLens's, discovery finds `Scorer` subclasses
as it finds `@scorer` functions, and the lens counts "yes"/"no" as MLflow's metrics do.
The scorer bodies follow MLflow's docs ("Create custom code-based scorers": "Simple values",
"Define scorers with the Scorer class").
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

import scorelens
from tests.lsp.conftest import Session, start

MLFLOW_FILE = """import mlflow
from mlflow.entities import Feedback
from mlflow.entities.assessment import Feedback as AssessmentFeedback
from mlflow.entities.assessment_source import AssessmentSource
from mlflow.entities.span import SpanType
from mlflow.entities.trace import Trace
from mlflow.genai.scorers import Scorer, scorer
from mlflow.genai.scorers.base import Scorer as BaseScorer
from mlflow.tracing.constant import TraceMetadataKey


@mlflow.trace(span_type=SpanType.PARSER)
def words(text):
    return text.split()


@scorer
def contains_citation(outputs: str) -> str:
    # Return pass/fail string
    return "yes" if "[source]" in outputs else "no"


@scorer
def has_words(outputs: str, trace: Trace) -> Feedback:
    assert TraceMetadataKey.MODEL_ID == "mlflow.modelId"
    return AssessmentFeedback(
        value="Yes" if words(outputs) else "No",
        rationale=f"{len(trace.data.spans)} spans",
        source=AssessmentSource(source_type="CODE", source_id="word_counter"),
    )


# Scorer class is a Pydantic object
class ResponseLength(Scorer):
    name: str = "response_chars"
    aggregations: list = ["min", "max"]

    def __call__(self, outputs: str) -> int:
        return len(outputs)


class MinimumLength(BaseScorer):
    name: str = "long_enough"
    min_length: int = 100_000

    def __call__(self, *, outputs) -> bool:
        return len(outputs) >= self.min_length


at_least_one = MinimumLength(name="at_least_one", min_length=1)


class CitationBase(Scorer):
    name: str = "cites_sources"
    marker: str = "[source]"


class CitesSources(CitationBase):
    def __call__(self, outputs):
        return self.marker in outputs


class NeedsThreshold(Scorer):
    name: str = "above_threshold"
    threshold: int

    def __call__(self, outputs):
        return len(outputs) > self.threshold
"""


async def test_an_mlflow_scorer_file_runs_unchanged_with_figures_on_its_lenses(
    lsp: Session,
) -> None:
    (lsp.root / "mlflow_scorers.py").write_text(MLFLOW_FILE)
    lsp.open("mlflow_scorers.py")
    changed = await lsp.save("mlflow_scorers.py", MLFLOW_FILE)
    by_name = {s["name"]: s for s in changed["changed"]}
    # A class with an instance in the module is that instance's scorer; one without is its own;
    # one without __call__ is a base for others.
    assert set(by_name) == {
        "contains_citation",
        "has_words",
        "response_chars",
        "at_least_one",
        "cites_sources",
        "above_threshold",
    }
    for name in ("contains_citation", "has_words", "response_chars", "at_least_one"):
        assert by_name[name]["state"] == "scored", by_name[name]
        assert (by_name[name]["scored"], by_name[name]["errors"]) == (3, 0), by_name[name]

    titles = await lsp.lenses("mlflow_scorers.py")
    # "yes"/"no" in any case are pass and fail, and their mean is the pass rate, as in MLflow.
    assert "contains_citation · 0/3 pass · 3 traces · 0 errors" in titles
    assert "has_words · 3/3 pass · 3 traces · 0 errors" in titles
    assert "at_least_one · 3/3 pass · 3 traces · 0 errors" in titles
    assert "cites_sources · 0/3 pass · 3 traces · 0 errors" in titles
    assert by_name["has_words"]["aggregates"] == [{"name": "mean", "value": 1.0, "previous": None}]
    length = next(t for t in titles if t.startswith("response_chars"))
    assert re.fullmatch(r"response_chars · min \d+ · max \d+ · 3 traces · 0 errors", length)

    # A Scorer class that cannot be made with no arguments: its error, on every trace.
    threshold = by_name["above_threshold"]
    assert (threshold["scored"], threshold["errors"]) == (3, 3)
    (problem,) = lsp.client.diagnostics[lsp.uri("mlflow_scorers.py")]
    assert "NeedsThreshold() failed: ValidationError" in problem.message
    assert "threshold" in problem.message and "fails on 3 of 3 traces" in problem.message

    # Lenses sit on the `class` line of a class scorer, as on the decorator of a function.
    lines = MLFLOW_FILE.splitlines()
    found = await lsp.client.text_document_code_lens_async(
        types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=lsp.uri("mlflow_scorers.py"))
        )
    )
    placed = {
        lens.command.title.split(" · ")[0]: lines[lens.range.start.line]
        for lens in found or []
        if lens.command and " · " in lens.command.title
    }
    assert placed["response_chars"] == "class ResponseLength(Scorer):"
    assert placed["at_least_one"] == "class MinimumLength(BaseScorer):"
    assert placed["cites_sources"] == "class CitesSources(CitationBase):"
    assert placed["contains_citation"] == "@scorer"


async def test_traces_a_scorer_makes_do_not_join_the_stored_traces(workspace: Path) -> None:
    (workspace / "mlflow_scorers.py").write_text(MLFLOW_FILE)
    lsp = await start(workspace)
    lsp.open("mlflow_scorers.py")
    changed = await lsp.save("mlflow_scorers.py", MLFLOW_FILE)
    assert {s["name"]: s["scored"] for s in changed["changed"]}["has_words"] == 3
    # The worker writes what it traced by the time it exits: stop it, then read the store.
    await lsp.client.shutdown_session()
    scorelens.set_tracking_uri(workspace / ".scorelens")
    stored = scorelens.search_traces(return_type="list")
    assert len(stored) == 3
    assert {t.data.spans[0].name for t in stored} == {"sample_app"}
