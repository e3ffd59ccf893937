"""Scorers: `@scorer` for a function, `Scorer` to subclass; as `mlflow.genai.scorers`."""

from scorelens.genai.scorers.base import Scorer, scorer

__all__ = ["Scorer", "scorer"]
