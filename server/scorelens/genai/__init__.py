"""GenAI evaluation: scorers and `evaluate`, named as in MLflow; and ScoreLens's human labels of
what a scorer should say (`set_label`, `clear_label`, `search_labels`; see genai.labels)."""

from scorelens.genai import scorers
from scorelens.genai.evaluation import EvaluationResult, evaluate
from scorelens.genai.labels import Label, clear_label, search_labels, set_label
from scorelens.genai.scorers import Scorer, scorer

__all__ = [
    "EvaluationResult",
    "Label",
    "Scorer",
    "clear_label",
    "evaluate",
    "scorer",
    "scorers",
    "search_labels",
    "set_label",
]
