"""Importing user code named on the command line: an app entry point, a scorers file."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from scorelens.genai.scorers import Scorer
from scorelens.user_modules import exec_file, scorers_in


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
    if os.path.isdir(path):
        raise UserCodeError(f"{path}: is a directory, not a Python file")
    if not os.path.isfile(path):
        raise UserCodeError(f"{path}: no such file")
    name = "scorelens_user_" + os.path.splitext(os.path.basename(path))[0]
    try:
        return exec_file(path, name)
    except Exception as exc:
        raise UserCodeError(f"cannot import {path}: {_describe(exc)}") from None


def load_scorers(path: str) -> list[Scorer]:
    found = scorers_in(import_file(path))
    if not found:
        raise UserCodeError(f"{path} defines no scorers (@scorer functions or Scorer classes)")
    return found


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError at line {exc.lineno}: {exc.msg}"
    return f"{type(exc).__name__}: {exc}"
