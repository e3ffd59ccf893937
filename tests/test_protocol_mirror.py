"""The Python protocol must match its TypeScript mirror (extension/src/protocol.ts).

extension/test/unit/protocol.test.ts checks the same from the TypeScript side.
"""

from __future__ import annotations

import re
import typing

from scorelens.lsp import lenses, protocol
from tests.conftest import REPO

TYPESCRIPT = (REPO / "extension" / "src" / "protocol.ts").read_text()
# The trace JSON, a plain dict on the Python side (documented in scorelens/entities/trace.py).
TRACE_SCHEMA = {"TraceData", "SpanData", "AssessmentData"}


def typescript_interfaces() -> dict[str, list[str]]:
    found = {}
    for match in re.finditer(r"^export interface (\w+) \{\n(.*?)^\}", TYPESCRIPT, re.M | re.S):
        found[match[1]] = re.findall(r"^ {2}(\w+)\??: ", match[2], re.M)
    return found


def python_typed_dicts() -> dict[str, type]:
    return {
        name: value
        for name, value in vars(protocol).items()
        if isinstance(value, type) and typing.is_typeddict(value)
    }


def test_methods_match() -> None:
    ours = {
        k: v for k, v in vars(protocol).items() if isinstance(v, str) and v.startswith("scorelens/")
    }
    theirs = dict(re.findall(r'^export const ([A-Z_]+) = "(scorelens/\w+)";$', TYPESCRIPT, re.M))
    assert ours == theirs
    assert set(protocol.REQUESTS) | set(protocol.NOTIFICATIONS) == set(ours.values())


def test_payload_types_match_field_for_field() -> None:
    interfaces = typescript_interfaces()
    typed_dicts = python_typed_dicts()
    assert len(typed_dicts) >= 20
    for name, typed_dict in typed_dicts.items():
        assert interfaces.get(name) == list(typed_dict.__annotations__), name
    assert set(interfaces) - set(typed_dicts) == TRACE_SCHEMA


def test_lens_commands_match() -> None:
    for name in ("LENS_SCORE_COMMAND", "LENS_SHOW_RESULTS_COMMAND", "LENS_GENERATE_COMMAND"):
        assert f'export const {name} = "{getattr(lenses, name)}";' in TYPESCRIPT


def test_a_drifted_field_would_be_caught() -> None:
    # The parser really reads fields: renaming one in the text changes what it sees.
    drifted = TYPESCRIPT.replace("  traceCount: number;\n}", "  count: number;\n}", 1)
    match = re.search(r"^export interface TraceSet \{\n(.*?)^\}", drifted, re.M | re.S)
    assert match is not None
    assert re.findall(r"^ {2}(\w+)\??: ", match[1], re.M) == ["runId", "count"]
