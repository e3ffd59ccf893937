"""Importing the user's scorer file afresh on every request, with MLflow names resolved to ours."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from scorelens.user_modules import exec_file
from scorelens.worker.messages import ErrorInfo

_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_imports = 0


class _Alias(importlib.abc.Loader):
    """Loads `mlflow.<x>` as the very module `scorelens.<x>`, so both names are one object."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        # The import system keeps the module's own __name__, __spec__ and __path__ (it only
        # fills attributes that are missing), so scorelens's submodules still import normally.
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        return None  # already executed when imported under its own name


class MlflowAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves `mlflow` and every `mlflow.<x>` to `scorelens` / `scorelens.<x>`.

    MLflow users' scorer files run unchanged in the worker: `import mlflow`, `from
    mlflow.genai.scorers import scorer`, `from mlflow.entities.assessment import Feedback` all
    reach ScoreLens, whatever module path they name. A path ScoreLens lacks fails to import
    with a message saying so, rather than loading part of a real MLflow.
    """

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "mlflow" and not fullname.startswith("mlflow."):
            return None
        ours = "scorelens" + fullname[len("mlflow") :]
        if importlib.util.find_spec(ours) is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: ScoreLens, which stands in for MLflow here, "
                f"has no {ours}",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(fullname, _Alias(ours))


def install_mlflow_aliases() -> None:
    """From now on, in this process, `mlflow` is ScoreLens (first on sys.meta_path)."""
    if not any(isinstance(f, MlflowAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, MlflowAliasFinder())


# Where each module file really is: resolving links takes a system call per path component,
# and a process that imported the openai SDK holds about 1,500 modules, checked on every run.
_real_paths: dict[str, str] = {}


def forget_workspace_modules(workspace: str) -> None:
    """Drop cached modules from the workspace so helpers edited since are imported again."""
    root = os.path.realpath(workspace) + os.sep
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path or "site-packages" in path:
            continue
        real = _real_paths.get(path)
        if real is None:
            real = _real_paths[path] = os.path.realpath(path)
        if real.startswith(root):
            del sys.modules[name]


def import_fresh(path: str, workspace: str) -> ModuleType:
    global _imports
    _imports += 1
    forget_workspace_modules(workspace)
    if workspace not in sys.path:
        sys.path.insert(0, workspace)
    return exec_file(path, f"scorelens_scorers_{_imports}", keep=False)


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
