"""GenAI evaluation: scorers and `evaluate`, named as in MLflow."""

from scorelens.genai import scorers
from scorelens.genai.evaluation import EvaluationResult, evaluate
from scorelens.genai.scorers import Scorer, scorer

__all__ = ["EvaluationResult", "Scorer", "evaluate", "scorer", "scorers"]
