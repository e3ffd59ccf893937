"""Finding `@scorer` and `@trace` functions by reading source, never by importing it.

A scorer's hash covers its own source and the module-level code it can see (imports, helpers,
constants) but not the other scorers in the file, so editing one scorer re-scores only it,
while editing a shared helper re-scores every scorer of that file. Code in other modules that a
scorer imports is not part of the hash.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field

SCORER_DECORATORS = frozenset(
    {
        "scorer",
        "scorers.scorer",
        "genai.scorers.scorer",
        "scorelens.genai.scorers.scorer",
        "mlflow.genai.scorers.scorer",
    }
)
TRACE_DECORATORS = frozenset({"trace", "scorelens.trace", "mlflow.trace"})
SCORER_PARAMETERS = frozenset({"inputs", "outputs", "expectations", "trace"})


@dataclass(frozen=True)
class Parameter:
    name: str
    line: int  # 0-based, as LSP counts
    column: int
    required: bool


@dataclass(frozen=True)
class ScorerDef:
    name: str  # the scorer's name: the `name=` argument if given, else the function name
    function: str
    line: int  # 0-based line of `def`
    name_column: int  # where the function name starts on that line
    decorator_line: int
    end_line: int
    parameters: tuple[Parameter, ...]
    source_hash: str
    accepts_any: bool = False  # has **kwargs
    aggregations: tuple[str, ...] = ()  # the named ones from `aggregations=[...]`

    def unknown_parameters(self) -> list[Parameter]:
        if self.accepts_any:
            return []
        return [p for p in self.parameters if p.name not in SCORER_PARAMETERS and p.required]


@dataclass(frozen=True)
class AppDef:
    name: str
    line: int


@dataclass
class ModuleScan:
    scorers: list[ScorerDef] = field(default_factory=list)
    apps: list[AppDef] = field(default_factory=list)
    syntax_error: tuple[int, int, str] | None = None  # (line, column, message), 0-based


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _aggregations(decorator: ast.expr) -> tuple[str, ...]:
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            if keyword.arg == "aggregations" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                return tuple(
                    e.value
                    for e in keyword.value.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)
                )
    return ()


def _explicit_name(decorator: ast.expr) -> str | None:
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                value = keyword.value.value
                if isinstance(value, str):
                    return value
    return None


def scan_source(source: str) -> ModuleScan:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        line = max((exc.lineno or 1) - 1, 0)
        column = max((exc.offset or 1) - 1, 0)
        return ModuleScan(syntax_error=(line, column, f"SyntaxError: {exc.msg}"))
    lines = source.splitlines(keepends=True)
    found: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.expr]] = []
    scan = ModuleScan()
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            dotted = _dotted(decorator)
            if dotted in SCORER_DECORATORS:
                found.append((node, decorator))
                break
            if dotted in TRACE_DECORATORS:
                scan.apps.append(AppDef(node.name, node.lineno - 1))
                break
    spans = [(_first_line(n), n.end_lineno or n.lineno) for n, _ in found]
    for node, decorator in found:
        first, last = _first_line(node), node.end_lineno or node.lineno
        context = "".join(
            text
            for number, text in enumerate(lines, start=1)
            if not any(a <= number <= b for a, b in spans)
        )
        own = "".join(lines[first - 1 : last])
        digest = hashlib.sha256(f"{own}\0{context}".encode()).hexdigest()[:16]
        scan.scorers.append(
            ScorerDef(
                name=_explicit_name(decorator) or node.name,
                function=node.name,
                line=node.lineno - 1,
                name_column=_name_column(lines[node.lineno - 1], node.name),
                decorator_line=first - 1,
                end_line=last - 1,
                parameters=_parameters(node),
                source_hash=digest,
                accepts_any=node.args.kwarg is not None,
                aggregations=_aggregations(decorator),
            )
        )
    return scan


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _name_column(line: str, name: str) -> int:
    index = line.find(f"def {name}")
    return index + 4 if index >= 0 else 0


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Parameter, ...]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    out = [
        Parameter(a.arg, a.lineno - 1, a.col_offset, required=i < first_default)
        for i, a in enumerate(positional)
    ]
    out += [
        Parameter(a.arg, a.lineno - 1, a.col_offset, required=default is None)
        for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    return tuple(out)
