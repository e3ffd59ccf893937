"""Importing the user's scorer file afresh on every request, with MLflow names resolved to ours."""

from __future__ import annotations

import os
import re
import sys
import traceback
from types import ModuleType

import scorelens
import scorelens.entities
import scorelens.genai
import scorelens.genai.scorers
from scorelens.genai.scorers import Scorer
from scorelens.user_modules import exec_file, scorers_in
from scorelens.worker.messages import ErrorInfo

# MLflow users' scorer files run unchanged: inside the worker these names are ScoreLens's.
MLFLOW_ALIASES = {
    "mlflow": scorelens,
    "mlflow.genai": scorelens.genai,
    "mlflow.genai.scorers": scorelens.genai.scorers,
    "mlflow.entities": scorelens.entities,
}

_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_imports = 0


def install_mlflow_aliases() -> None:
    for name, module in MLFLOW_ALIASES.items():
        sys.modules.setdefault(name, module)


def forget_workspace_modules(workspace: str) -> None:
    """Drop cached modules from the workspace so helpers edited since are imported again."""
    root = os.path.realpath(workspace) + os.sep
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and os.path.realpath(path).startswith(root) and "site-packages" not in path:
            del sys.modules[name]


def import_fresh(path: str, workspace: str) -> ModuleType:
    global _imports
    _imports += 1
    forget_workspace_modules(workspace)
    if workspace not in sys.path:
        sys.path.insert(0, workspace)
    return exec_file(path, f"scorelens_scorers_{_imports}", keep=False)


def scorers_of(module: ModuleType) -> dict[str, Scorer]:
    return {s.name: s for s in scorers_in(module)}


def line_in_file(stack_trace: str | None, path: str) -> int | None:
    """The last line of `path` that the stack trace passes through (1-based)."""
    if not stack_trace:
        return None
    wanted = os.path.realpath(path)
    lines = [
        int(m["line"])
        for m in _FRAME.finditer(stack_trace)
        if os.path.realpath(m["file"]) == wanted
    ]
    return lines[-1] if lines else None


def describe_import_error(exc: BaseException, path: str) -> ErrorInfo:
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    line = None
    if (
        isinstance(exc, SyntaxError)
        and exc.filename
        and os.path.realpath(exc.filename) == (os.path.realpath(path))
    ):
        line = exc.lineno
    return {
        "message": f"{type(exc).__name__}: {exc}",
        "line": line or line_in_file(stack, path),
        "stackTrace": stack,
    }
