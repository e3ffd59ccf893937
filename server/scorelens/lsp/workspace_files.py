"""The workspace's Python files that hold scorers or `@trace` apps, as last saved on disk.

Found by reading source (lsp/discovery.py), never by importing it. Each file keeps what its
last run said (an import error, a scorer that hung or crashed the worker), since those belong
to the saved text too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from scorelens.lsp.discovery import AppDef, ModuleScan, scan_source
from scorelens.worker.messages import ErrorInfo

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".scorelens",
        "site-packages",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "build",
        "dist",
    }
)


def read_text(path: str) -> str | None:
    """A Python file's text as saved; None when it cannot be read as UTF-8."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


@dataclass
class FileState:
    path: str
    scan: ModuleScan  # of the saved text: results belong to what is on disk
    import_error: ErrorInfo | None = None
    failures: dict[str, str] = field(default_factory=dict)  # scorer name -> timeout/crash text
    # scorer name -> the version that hung or crashed the worker: not run again on every save
    # (only once it changes, or when asked to)
    failed_versions: dict[str, str] = field(default_factory=dict)
    running: bool = False

    def forget_failures(self) -> None:
        self.failures.clear()
        self.failed_versions.clear()
        self.import_error = None


class WorkspaceFiles:
    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self._files: dict[str, FileState] = {}

    def scan_all(self) -> None:
        for folder, dirs, names in os.walk(self.root):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
            for name in names:
                if name.endswith(".py"):
                    self.refresh(os.path.join(folder, name))

    def refresh(self, path: str, text: str | None = None) -> FileState | None:
        """Re-read a file's scorers from disk (or the given saved text); None if it has none."""
        path = os.path.abspath(path)
        if text is None:
            text = read_text(path)
        if text is None:
            self._files.pop(path, None)
            return None
        scan = scan_source(text)
        previous = self._files.get(path)
        if not scan.scorers and not scan.apps and scan.syntax_error is None:
            self._files.pop(path, None)
            return None
        if scan.syntax_error is not None and previous is None and "scorer" not in text:
            return None  # a broken file that never held scorers is not ours to report
        state = previous or FileState(path, scan)
        state.scan = scan
        self._files[path] = state
        return state

    def forget(self, path: str) -> None:
        self._files.pop(os.path.abspath(path), None)

    def get(self, path: str) -> FileState | None:
        return self._files.get(os.path.abspath(path))

    def __iter__(self) -> Iterator[FileState]:
        return iter(list(self._files.values()))

    def paths(self) -> list[str]:
        return list(self._files)

    def scorer_files(self) -> list[FileState]:
        return [f for f in self._files.values() if f.scan.scorers or f.scan.syntax_error]

    def apps(self) -> list[tuple[FileState, AppDef]]:
        return [(f, app) for f in self._files.values() for app in f.scan.apps]
