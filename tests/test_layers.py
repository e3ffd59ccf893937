"""The language server, its worker and the command line share code only through neutral
modules: neither lsp/ nor worker/ imports from cli/."""

from __future__ import annotations

import ast

from tests.conftest import REPO

PACKAGE = REPO / "server" / "scorelens"


def imported(source: str) -> set[str]:
    """Every module, or module attribute, that the source's absolute imports name."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import: resolve it before checking layers"
            # `from scorelens import cli` names the package as surely as `import scorelens.cli`.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def from_the_command_line(name: str) -> bool:
    return name == "scorelens.cli" or name.startswith("scorelens.cli.")


def test_no_language_server_or_worker_module_imports_the_command_line() -> None:
    modules = sorted([*PACKAGE.glob("lsp/**/*.py"), *PACKAGE.glob("worker/**/*.py")])
    assert len(modules) > 20
    offending = {
        str(path.relative_to(PACKAGE)): found
        for path in modules
        if (found := sorted(filter(from_the_command_line, imported(path.read_text()))))
    }
    assert offending == {}
