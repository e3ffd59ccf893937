"""Scorers sent to another process as the source text of the files that define them.

Pickling a scorer would pickle its function and everything the function reaches (clients,
locks, module state), which often cannot be pickled, and by reference only when the other
process can import the module. The text of the file is always at hand: the other process
executes it as the driver imported it and takes the same scorers from it, found as
`find_scorers` finds them (by position and name). A scorer defined in `__main__` (a notebook,
the script being run) has no file whose execution would only define scorers: it cannot be sent.
"""

from __future__ import annotations

import inspect
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from scorelens.genai.scorers import Scorer
from scorelens.genai.scorers.base import call_target
from scorelens.user_modules import UserCodeError, describe_error, exec_source, find_scorers


class UnshippableScorerError(ValueError):
    """A scorer that cannot be sent as source text; the message says why and what to do."""


@dataclass(frozen=True)
class ScorerFile:
    path: str
    source: str
    package: str | None  # where its relative imports resolve


@dataclass(frozen=True)
class ShippedScorers:
    """An evaluation's scorers as file texts, and which scorer of which file each one is."""

    # One per evaluation, so a process executes each file once per evaluation: scorers keep
    # state (a client made on first use), and each evaluation starts afresh, as a local one.
    token: str
    files: tuple[ScorerFile, ...]
    picks: tuple[tuple[int, int, str], ...]  # (file, position among its scorers, name)


def ship(scorers: Sequence[Scorer]) -> ShippedScorers:
    """The scorers as the texts of their files; UnshippableScorerError for one without a file."""
    files: list[ScorerFile] = []
    file_of: dict[str, int] = {}
    picks: list[tuple[int, int, str]] = []
    for item in scorers:
        module = _home(item)
        position = _position(item, module)
        path = module.__file__
        assert path is not None  # _home only returns modules that have a file
        if module.__name__ not in file_of:
            try:
                source = inspect.getsource(module)
            except (OSError, TypeError):
                raise UnshippableScorerError(
                    f"scorer '{item.name}' cannot run on Ray: the source of {path} cannot be read"
                ) from None
            file_of[module.__name__] = len(files)
            files.append(ScorerFile(path, source, module.__package__ or None))
        picks.append((file_of[module.__name__], position, item.name))
    return ShippedScorers(uuid.uuid4().hex, tuple(files), tuple(picks))


def unpack(shipped: ShippedScorers) -> list[Scorer]:
    """Execute the files (once per evaluation in this process) and pick the scorers out.

    UserCodeError when a file cannot be executed here, naming it: most often a module it
    imports that this machine lacks.
    """
    done = _unpacked.get(shipped.token)
    if done is not None:
        return done
    _forget_modules()
    modules = []
    for number, item in enumerate(shipped.files):
        name = f"scorelens_shipped_{shipped.token[:12]}_{number}"
        _module_names.append(name)
        try:
            modules.append(exec_source(item.source, item.path, name, item.package))
        except Exception as exc:
            raise UserCodeError(f"cannot import {item.path} here: {describe_error(exc)}") from None
    found = [find_scorers(module).scorers for module in modules]
    picked: list[Scorer] = []
    for file_number, position, name in shipped.picks:
        candidates = found[file_number]
        if position >= len(candidates) or candidates[position].name != name:
            raise UserCodeError(
                f"{shipped.files[file_number].path} no longer defines scorer '{name}' where "
                "it did when it was imported"
            )
        picked.append(candidates[position])
    _unpacked[shipped.token] = picked
    return picked


# This process's scorers of the current evaluation, by its token, and the modules made for it.
_unpacked: dict[str, list[Scorer]] = {}
_module_names: list[str] = []


def _forget_modules() -> None:
    # A long-lived worker scores evaluation after evaluation: only the current one's modules
    # stay imported.
    _unpacked.clear()
    while _module_names:
        sys.modules.pop(_module_names.pop(), None)


def _home(item: Scorer) -> ModuleType:
    """The module, with a source file, whose execution defines the scorer: the one its
    function or class comes from when that one holds it, else one that holds it, else the one
    its class comes from."""
    target = call_target(item)
    defining = sys.modules.get(getattr(target, "__module__", "") or "")
    holders = [m for m in list(sys.modules.values()) if _holds(m, item)]
    candidates = [m for m in (defining,) if m is not None and _holds(m, item)] + holders
    if defining is not None and type(item).__module__ == defining.__name__:
        candidates.append(defining)
    in_main = False
    for module in candidates:
        if module.__name__ == "__main__":
            in_main = True
        elif getattr(module, "__file__", None):
            return module
    if in_main:
        raise UnshippableScorerError(
            f"scorer '{item.name}' cannot run on Ray: it is defined in __main__ (a notebook "
            "or the script being run), and Ray workers take each scorer from the source of "
            "its file; define it in a .py file and import it from there"
        )
    raise UnshippableScorerError(
        f"scorer '{item.name}' cannot run on Ray: no imported file defines it (Ray workers "
        "take each scorer from the source of its file); define it at the top level of a .py "
        "file and import it from there"
    )


def _holds(module: ModuleType, item: Scorer) -> bool:
    try:
        return any(value is item for value in vars(module).values())
    except TypeError:  # an odd module object without a __dict__
        return False


def _position(item: Scorer, module: ModuleType) -> int:
    """Where the scorer is among the module's scorers, as find_scorers lists them."""
    for position, candidate in enumerate(find_scorers(module).scorers):
        if candidate is item or (type(candidate) is type(item) and candidate.name == item.name):
            return position
    raise UnshippableScorerError(
        f"scorer '{item.name}' cannot run on Ray: {module.__file__} does not define it at its "
        "top level (Ray workers take each scorer from the source of its file)"
    )
