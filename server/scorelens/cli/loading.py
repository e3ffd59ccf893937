"""Importing user code named on the command line: an app entry point, a scorers file."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from scorelens.genai.scorers import Scorer


class UserCodeError(Exception):
    pass


def load_app(reference: str) -> Callable[..., Any]:
    """`package.module:function` or `path/to/file.py:function`."""
    module_part, sep, attribute = reference.rpartition(":")
    if not sep or not module_part or not attribute:
        raise UserCodeError(f"--app must look like module:function, got {reference!r}")
    if module_part.endswith(".py") or os.sep in module_part:
        module = import_file(module_part)
    else:
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(module_part)
        except Exception as exc:
            raise UserCodeError(f"cannot import {module_part}: {_describe(exc)}") from None
    function = getattr(module, attribute, None)
    if function is None:
        raise UserCodeError(f"{module_part} has no attribute {attribute!r}")
    if not callable(function):
        raise UserCodeError(f"{reference} is not callable")
    return function  # type: ignore[no-any-return]


def import_file(path: str) -> ModuleType:
    if not os.path.isfile(path):
        raise UserCodeError(f"{path}: no such file")
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = "scorelens_user_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserCodeError(f"{path}: not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise UserCodeError(f"cannot import {path}: {_describe(exc)}") from None
    return module


def load_scorers(path: str) -> list[Scorer]:
    module = import_file(path)
    found = [value for value in vars(module).values() if isinstance(value, Scorer)]
    if not found:
        raise UserCodeError(f"{path} defines no @scorer functions")
    return found


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError at line {exc.lineno}: {exc.msg}"
    return f"{type(exc).__name__}: {exc}"
