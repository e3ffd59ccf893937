"""Running a Python file as a module: the one way ScoreLens imports user code by path."""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType

from scorelens.genai.scorers import Scorer


def exec_file(path: str, module_name: str, keep: bool = True) -> ModuleType:
    """Execute `path` as module `module_name`, its folder importable; errors propagate.

    With keep=False the module is not left in sys.modules, so the next run imports it afresh.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if not keep:
            sys.modules.pop(module_name, None)
    return module


def scorers_in(module: ModuleType) -> list[Scorer]:
    """The module's scorers, in definition order."""
    return [value for value in vars(module).values() if isinstance(value, Scorer)]
