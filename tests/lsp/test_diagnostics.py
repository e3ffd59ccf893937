"""Problems appear on the line to fix, and clear once fixed."""

from __future__ import annotations

from lsprotocol import types

from tests.lsp.conftest import Session

RAISING = """from scorelens.genai.scorers import scorer


@scorer
def first_word(outputs):
    words = outputs.split()
    if len(words) > 12:
        raise ValueError(f"too long: {len(words)} words")
    return words[0]
"""

FIXED = RAISING.replace('raise ValueError(f"too long: {len(words)} words")', "return words[12]")

UNKNOWN_PARAMETER = """from scorelens.genai.scorers import scorer


@scorer
def grounded(outputs, context):
    return context in outputs
"""

RETURNS_DICT = """from scorelens.genai.scorers import scorer


@scorer
def details(outputs):
    return {"length": len(outputs)}
"""

SYNTAX_ERROR = """from scorelens.genai.scorers import scorer


@scorer
def broken(outputs):
    return len(outputs
"""

IMPORT_ERROR = """from scorelens.genai.scorers import scorer
import not_a_module_anywhere


@scorer
def uses_it(outputs):
    return 1
"""


def only(lsp: Session, name: str) -> types.Diagnostic:
    found = lsp.client.diagnostics[lsp.uri(name)]
    assert len(found) == 1, found
    return found[0]


async def test_exception_lands_on_the_raising_line_and_clears(lsp: Session) -> None:
    (lsp.root / "words.py").write_text(RAISING)
    lsp.open("words.py")
    await lsp.save("words.py", RAISING)
    diagnostic = only(lsp, "words.py")
    assert diagnostic.range.start.line == 7  # the `raise` line, 0-based
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.message.startswith("ValueError: too long: ")
    assert "fails on " in diagnostic.message and " of 3 traces (e.g. tr-" in diagnostic.message
    await lsp.save("words.py", FIXED, 3)
    assert not lsp.client.diagnostics[lsp.uri("words.py")]


async def test_unknown_parameter_is_marked_on_the_parameter(lsp: Session) -> None:
    (lsp.root / "ctx.py").write_text(UNKNOWN_PARAMETER)
    lsp.open("ctx.py")
    await lsp.save("ctx.py", UNKNOWN_PARAMETER)
    diagnostic = only(lsp, "ctx.py")
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (4, 22)
    assert diagnostic.range.end.character == 29
    assert "parameter 'context'" in diagnostic.message


async def test_unsupported_return_type_is_marked_on_the_def_line(lsp: Session) -> None:
    (lsp.root / "details.py").write_text(RETURNS_DICT)
    lsp.open("details.py")
    await lsp.save("details.py", RETURNS_DICT)
    diagnostic = only(lsp, "details.py")
    assert diagnostic.range.start.line == 4
    assert "returned dict" in diagnostic.message and "3 of 3 traces" in diagnostic.message


async def test_syntax_error_is_reported_without_running_anything(lsp: Session) -> None:
    (lsp.root / "broken.py").write_text(SYNTAX_ERROR)
    lsp.open("broken.py")
    changed = await lsp.save("broken.py", SYNTAX_ERROR)
    assert changed["workerCalled"] is False
    diagnostic = only(lsp, "broken.py")
    assert diagnostic.range.start.line in (5, 6)
    assert diagnostic.message.startswith("SyntaxError")


async def test_import_error_is_reported_at_its_line(lsp: Session) -> None:
    (lsp.root / "imports.py").write_text(IMPORT_ERROR)
    lsp.open("imports.py")
    changed = await lsp.save("imports.py", IMPORT_ERROR)
    assert changed["changed"][0]["state"] == "error"
    diagnostic = only(lsp, "imports.py")
    assert diagnostic.range.start.line == 1
    assert "No module named 'not_a_module_anywhere'" in diagnostic.message
    fixed = IMPORT_ERROR.replace("import not_a_module_anywhere\n", "")
    changed = await lsp.save("imports.py", fixed, 3)
    assert changed["changed"][0]["state"] == "scored"
    assert not lsp.client.diagnostics[lsp.uri("imports.py")]
