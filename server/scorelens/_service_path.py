"""Keep the user's workspace off `sys.path` in the language server and the worker.

`python -m scorelens.lsp` (and `-m scorelens.worker`) puts the working directory first on
sys.path, and editors start language servers in the workspace. A workspace `json.py`,
`secrets.py`, `uuid.py` or `tinydb.py` would then replace the real module when our own code
imports it: breaking the server, or running workspace code in an untrusted workspace. Python
imports the parent package before the module given to -m, so `scorelens/__init__.py` runs this
first, before any import that could be shadowed. User files the worker is asked to run put
their own folders on sys.path when they are run (scorelens.user_modules).
"""

from __future__ import annotations

import os
import sys

SERVICES = ("scorelens.lsp", "scorelens.worker", "scorelens.mlflow_sync")


def started_as_service(argv: list[str]) -> bool:
    """Was this interpreter started as `python [options] -m scorelens.lsp|worker ...`?"""
    for index, arg in enumerate(argv[1:], start=1):
        if arg == "-m":
            return index + 1 < len(argv) and argv[index + 1] in SERVICES
        if arg.startswith("-m"):
            return arg[2:] in SERVICES
        if not arg.startswith("-"):
            return False  # a script or -c: whoever ran it chose sys.path
    return False


def drop_working_directory() -> None:
    here = os.path.realpath(os.getcwd())
    sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.realpath(p) != here]


if started_as_service(getattr(sys, "orig_argv", [])):
    drop_working_directory()
