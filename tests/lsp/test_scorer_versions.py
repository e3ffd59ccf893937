"""A scorer's version follows what its code means: formatting, comments and docstrings keep it."""

from __future__ import annotations

from scorelens.lsp.discovery import scan_source
from tests.lsp.conftest import SCORERS, Session

ALL = {"response_length", "mentions_expected_facts", "llm_tokens", "is_polite"}

HELPER = '''

def shout(text: str) -> str:
    """Upper-cased: module-level code every scorer of the file can see."""
    return text.upper()
'''
WITH_HELPER = SCORERS + HELPER

# mentions_expected_facts as a formatter or a colleague might rewrite it: other quotes, other
# line breaks, a comment, a trailing comma; the same code.
REFORMATTED = SCORERS.replace(
    """    if missing:
        return Feedback(value=False, rationale="missing: " + "; ".join(missing))
""",
    """    if missing:  # the answer leaves something out
        return Feedback(
            value = False,
            rationale = 'missing: ' + '; '.join( missing ),
        )
""",
)


def hashes(source: str) -> dict[str, str]:
    return {s.name: s.source_hash for s in scan_source(source).scorers}


async def scored(lsp: Session, text: str) -> list[str]:
    """Open scorers.py and save it as `text`, scoring it; returns its lenses."""
    lsp.open("scorers.py")
    assert (await lsp.save("scorers.py", text))["workerCalled"] is True
    return await lsp.lenses("scorers.py")


async def save_rescores_nothing(lsp: Session, text: str, version: int) -> None:
    changed = await lsp.save("scorers.py", text, version)
    assert changed["workerCalled"] is False and changed["changed"] == []


async def test_a_comment_above_the_scorers_rescores_nothing(lsp: Session) -> None:
    before = await scored(lsp, SCORERS)
    await save_rescores_nothing(lsp, "# Scorers for the support bot.\n\n\n" + SCORERS, 3)
    assert await lsp.lenses("scorers.py") == before


async def test_reformatting_a_scorer_or_its_docstring_rescores_nothing(lsp: Session) -> None:
    before = await scored(lsp, SCORERS)
    assert REFORMATTED != SCORERS  # the fixture still holds the code rewritten here
    await save_rescores_nothing(lsp, REFORMATTED, 3)
    redocumented = REFORMATTED.replace("How long the answer is", "The answer's length")
    assert redocumented != REFORMATTED
    await save_rescores_nothing(lsp, redocumented, 4)
    assert await lsp.lenses("scorers.py") == before


async def test_a_helper_rescores_every_scorer_but_not_for_its_docstring(lsp: Session) -> None:
    await scored(lsp, WITH_HELPER)
    redocumented = WITH_HELPER.replace("Upper-cased:", "In capitals:")
    await save_rescores_nothing(lsp, redocumented, 3)

    rewritten = redocumented.replace("return text.upper()", "return text.upper().strip()")
    changed = await lsp.save("scorers.py", rewritten, version=4)
    assert changed["workerCalled"] is True
    assert {s["name"] for s in changed["changed"]} == ALL
    assert all(s["state"] == "scored" for s in changed["changed"])


def test_only_code_changes_a_hash() -> None:
    base = hashes(WITH_HELPER)
    assert set(base) == ALL and len(set(base.values())) == 4
    same = [
        "\n\n# a comment\n" + WITH_HELPER,
        WITH_HELPER.replace('"""Example scorers', '"""Scorers'),  # the module docstring
        WITH_HELPER.replace("    return text.upper()", "    return (text\n            .upper())"),
        REFORMATTED + HELPER,
        WITH_HELPER + "\n\n\n",
    ]
    for source in same:
        assert source != WITH_HELPER
        assert hashes(source) == base, source

    edited = hashes(WITH_HELPER.replace('len(outputs or "")', 'len(outputs or "x")'))
    assert {n for n in ALL if edited[n] != base[n]} == {"response_length"}
    # A string that is not a docstring is code.
    edited = hashes(WITH_HELPER.replace("return text.upper()", '"note"\n    return text.upper()'))
    assert all(edited[n] != base[n] for n in ALL)
    edited = hashes(WITH_HELPER + "\nLIMIT = 3\n")
    assert all(edited[n] != base[n] for n in ALL)


CLASS_SCORERS = '''
from scorelens.genai.scorers import Scorer


class MinimumLength(Scorer):
    """Long enough?"""

    name: str = "long_enough"
    min_length: int = 100

    def __call__(self, outputs: str) -> bool:
        def measured(text: str) -> int:
            """Counted in characters."""
            return len(text)

        return measured(outputs) >= self.min_length


at_least_one = MinimumLength(name="at_least_one", min_length=1)
at_least_ten = MinimumLength(name="at_least_ten", min_length=10)
'''


def test_a_class_scorer_instance_owns_its_line() -> None:
    base = hashes(CLASS_SCORERS)
    assert set(base) == {"at_least_one", "at_least_ten"}
    reformatted = CLASS_SCORERS.replace(
        'MinimumLength(name="at_least_one", min_length=1)',
        "MinimumLength(\n    name='at_least_one',\n    min_length=1,\n)",
    ).replace("Counted in", "Measured in")
    assert hashes(reformatted) == base

    edited = hashes(CLASS_SCORERS.replace("min_length=10)", "min_length=20)"))
    assert edited["at_least_one"] == base["at_least_one"]
    assert edited["at_least_ten"] != base["at_least_ten"]
    edited = hashes(CLASS_SCORERS.replace(">= self.min_length", "> self.min_length"))
    assert all(edited[n] != base[n] for n in base)
