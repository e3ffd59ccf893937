"""Importing user code: a Python file as a module (the one way ScoreLens imports user code by
path), an app named by reference, a file's scorers."""

from __future__ import annotations

import importlib
import importlib.util
import linecache
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

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


def exec_source(source: str, path: str, module_name: str, package: str | None = None) -> ModuleType:
    """Execute `source`, the text of file `path`, as module `module_name`; errors propagate.

    For a process that has the text but maybe not the file (a Ray worker on another machine):
    the module's `__file__` is `path`, its folder is importable when it exists here, and
    tracebacks show the lines of `source` either way. With `package`, relative imports resolve
    in it, as they did where the file was imported.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(folder) and folder not in sys.path:
        sys.path.insert(0, folder)
    module = ModuleType(module_name)
    module.__file__ = path
    if package:
        module.__package__ = package
    # No modification time: linecache keeps these lines even if a file at `path` differs.
    linecache.cache[path] = (len(source), None, source.splitlines(keepends=True), path)
    sys.modules[module_name] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return module


@dataclass
class FoundScorers:
    """A module's scorers, in definition order, and the Scorer classes that could not be made."""

    scorers: list[Scorer] = field(default_factory=list)
    # The class's default scorer name -> (class name, why `cls()` raised).
    broken: dict[str, tuple[str, Exception]] = field(default_factory=dict)


def find_scorers(module: ModuleType) -> FoundScorers:
    """Every Scorer the module holds (`@scorer` functions, instances), in definition order.

    A Scorer subclass the module defines but holds no instance of stands for the scorer it
    makes with no arguments (its fields' defaults), as the editor shows it; a class without a
    default `name` or without a `__call__` is a base for others and is left out.
    """
    found = FoundScorers()
    entries: list[Any] = []
    instance_types: set[type] = set()
    for value in list(vars(module).values()):
        if isinstance(value, Scorer):
            entries.append(value)
            instance_types.add(type(value))
        elif _defined_scorer_class(value, module):
            entries.append(value)
    for entry in entries:
        if isinstance(entry, Scorer):
            found.scorers.append(entry)
            continue
        if entry in instance_types:
            continue
        default_name = _default_name(entry)
        if default_name is None or entry.__call__ is Scorer.__call__:
            continue  # a base for other scorers: no name of its own, or no scoring to do
        try:
            found.scorers.append(entry())
        except Exception as exc:
            found.broken[default_name] = (entry.__name__, exc)
    return found


def scorers_in(module: ModuleType) -> list[Scorer]:
    """The module's scorers, in definition order (see find_scorers)."""
    return find_scorers(module).scorers


def _defined_scorer_class(value: Any, module: ModuleType) -> bool:
    return (
        isinstance(value, type)
        and issubclass(value, Scorer)
        and value is not Scorer
        and value.__module__ == module.__name__
    )


def _default_name(cls: type[Scorer]) -> str | None:
    name_field = cls.model_fields.get("name")
    if name_field is None or name_field.is_required():
        return None
    default = name_field.get_default(call_default_factory=True)
    return default if isinstance(default, str) else None


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
            raise UserCodeError(f"cannot import {module_part}: {describe_error(exc)}") from None
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
        raise UserCodeError(f"cannot import {path}: {describe_error(exc)}") from None


def load_scorers(path: str) -> list[Scorer]:
    found = scorers_in(import_file(path))
    if not found:
        raise UserCodeError(f"{path} defines no scorers (@scorer functions or Scorer classes)")
    return found


def describe_error(exc: BaseException) -> str:
    """One line for why user code could not be imported."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError at line {exc.lineno}: {exc.msg}"
    return f"{type(exc).__name__}: {exc}"
