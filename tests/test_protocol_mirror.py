"""The Python protocol and its TypeScript mirror declare the same messages and types.

Compared structurally: every method with its params and result types, every type's fields with
their types and optionality (extension/test/unit/protocol.test.ts checks the same from the
TypeScript side). The drift tests show the comparison catches each kind of change on each side.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from scorelens.lsp import lenses, protocol
from tests.conftest import REPO
from tests.protocol_shape import (
    TYPESCRIPT_FILE,
    describe_python,
    describe_typescript,
    differences,
)

PYTHON_SOURCE = (REPO / "server" / "scorelens" / "lsp" / "protocol.py").read_text()
TYPESCRIPT_SOURCE = TYPESCRIPT_FILE.read_text()

# (what changes in protocol.ts, the same change in protocol.py, where the difference shows)
DRIFTS = [
    (
        (
            "  runId: string | null; // null: every trace in the store\n  traceCount: number;",
            "  runId: string | null; // null: every trace in the store\n  traceCount: string;",
        ),
        (
            "    runId: str | None  # None: every trace in the store\n    traceCount: int",
            "    runId: str | None  # None: every trace in the store\n    traceCount: str",
        ),
        "TraceSet.traceCount",
    ),
    (
        ("  previous: number | null;\n}", "  previous: number;\n}"),
        ("    previous: float | None  # the same", "    previous: float  # the same"),
        "Aggregate.previous",
    ),
    (
        ("  uri?: string; // a scorer file", "  uri: string; // a scorer file"),
        ("    uri: NotRequired[str]  # a scorer file", "    uri: str  # a scorer file"),
        "RescoreParams.uri",
    ),
    (
        ('"unscored" | "scored" | "error"', '"unscored" | "done" | "error"'),
        ('"unscored", "scored", "error"', '"unscored", "done", "error"'),
        "types ScorerState",
    ),
    (
        ("  aggregates: Aggregate[];", "  aggregates: Aggregate;"),
        ("    aggregates: list[Aggregate]", "    aggregates: Aggregate"),
        "ScorerSummary.aggregates",
    ),
    (
        ("  cells: Record<string, Cell>;", "  cells: Record<string, Aggregate>;"),
        ("    cells: dict[str, Cell]", "    cells: dict[str, Aggregate]"),
        "ResultRow.cells",
    ),
    (
        ("  execution_duration: number | null;", "  execution_duration: number;"),
        ("    execution_duration: int | None", "    execution_duration: int"),
        "TraceInfoData.execution_duration",
    ),
    (
        ("  rationale?: string;\n  metadata?", "  metadata?"),
        ("    rationale: NotRequired[str]\n    metadata", "    metadata"),
        "AssessmentData.rationale",
    ),
    (
        (
            "RequestType<GetTraceParams, GetTraceResult, void>",
            "RequestType<GetTraceParams, TraceData, void>",
        ),
        (
            '"scorelens/getTrace", GetTraceParams, GetTraceResult',
            '"scorelens/getTrace", GetTraceParams, TraceData',
        ),
        "requests scorelens/getTrace",
    ),
    (
        ('("scorelens/status")', '("scorelens/state")'),
        ('"scorelens/status", StatusParams', '"scorelens/state", StatusParams'),
        "notifications scorelens/stat",
    ),
]


def python_module(source: str) -> types.ModuleType:
    module = types.ModuleType("drifted_protocol")
    sys.modules[module.__name__] = module  # dataclasses look their module up while made
    try:
        exec(compile(source, "drifted_protocol.py", "exec", dont_inherit=True), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


def test_the_two_declarations_mirror_each_other() -> None:
    python = describe_python()
    (typescript,) = describe_typescript()
    assert differences(python, typescript) == []
    # Every message and every type is there: nothing is left out of the comparison.
    assert len(python["requests"]) == len(protocol.REQUESTS) == 13
    assert len(python["notifications"]) == len(protocol.NOTIFICATIONS) == 2
    assert {"TraceData", "SpanData", "AssessmentData", "ScorerSummary"} <= set(python["types"])
    assert len(python["types"]) >= 35


def test_a_drift_on_the_typescript_side_is_caught(tmp_path: Path) -> None:
    python = describe_python()
    paths = []
    for index, ((before, after), _, _) in enumerate(DRIFTS):
        assert TYPESCRIPT_SOURCE.count(before) == 1, before
        path = tmp_path / f"drift{index}.ts"
        path.write_text(TYPESCRIPT_SOURCE.replace(before, after))
        paths.append(path)
    for drifted, (_, _, where) in zip(describe_typescript(*paths), DRIFTS, strict=True):
        found = differences(python, drifted)
        assert found and all(where in line for line in found), (where, found)


@pytest.mark.parametrize("drift", DRIFTS, ids=[d[2] for d in DRIFTS])
def test_a_drift_on_the_python_side_is_caught(drift: tuple[object, tuple[str, str], str]) -> None:
    _, (before, after), where = drift
    assert PYTHON_SOURCE.count(before) == 1, before
    drifted = describe_python(python_module(PYTHON_SOURCE.replace(before, after)))
    (typescript,) = describe_typescript()
    found = differences(drifted, typescript)
    assert found and all(where in line for line in found), (where, found)


def test_lens_commands_match() -> None:
    for name in ("LENS_SCORE_COMMAND", "LENS_SHOW_RESULTS_COMMAND", "LENS_GENERATE_COMMAND"):
        assert f'export const {name} = "{getattr(lenses, name)}";' in TYPESCRIPT_SOURCE
