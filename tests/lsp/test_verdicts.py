"""MLflow's yes/no verdicts read as pass/fail in the lens and the panel's failing filter."""

from __future__ import annotations

from scorelens.lsp import protocol
from tests.lsp.conftest import Session

# The verdict style of MLflow's custom-scorer docs.
VERDICTS = """
from mlflow.genai.scorers import scorer

@scorer
def long_enough(outputs) -> str:
    return "yes" if len(outputs) > 120 else "No"
"""


async def test_yes_no_verdicts_count_as_pass_and_fail(lsp: Session) -> None:
    (lsp.root / "verdicts.py").write_text(VERDICTS)
    lsp.open("verdicts.py")
    changed = await lsp.save("verdicts.py", VERDICTS)
    (summary,) = changed["changed"]
    passed, failed = summary["passed"], summary["failed"]
    assert passed is not None and failed is not None and passed + failed == 3
    assert passed > 0 and failed > 0, (passed, failed)  # both kinds, or the filter proves little
    title = (await lsp.lenses("verdicts.py"))[0]
    assert title.startswith(f"long_enough · {passed}/3 pass"), title
    failing = await lsp.request(
        protocol.result_rows,
        {"scorers": [{"uri": lsp.uri("verdicts.py"), "name": "long_enough"}], "filter": "failing"},
    )
    assert failing["total"] == failed
    key = f"{lsp.uri('verdicts.py')}#long_enough"
    assert {row["cells"][key]["value"] for row in failing["rows"]} <= {"No"}
