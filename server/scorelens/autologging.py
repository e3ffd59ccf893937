"""`mlflow.autolog()`: turn every integration ScoreLens has on or off at once.

ScoreLens integrates the openai SDK only, so this is `scorelens.openai.autolog` when openai is
installed. MLflow's own options for ML frameworks (`log_models`, `log_datasets`, ...) have
nothing to act on here and are accepted so MLflow code runs unchanged.
"""

from __future__ import annotations

import importlib.util
from typing import Any


def autolog(disable: bool = False, silent: bool = False, **options: Any) -> None:
    """Trace every supported library's calls; `disable=True` stops all of them again."""
    if importlib.util.find_spec("openai") is None:
        return
    from scorelens.openai import autolog as openai_autolog

    openai_autolog(disable=disable)
