"""Finding scorers and `@trace` functions by reading source, never by importing it.

Scorers are `@scorer` functions and `Scorer` subclasses (one scorer per module-level instance,
else the class with its default `name`); the lens goes on the `def` or the `class`.

A scorer's hash (its version: results are kept per hash) covers its own code and the
module-level code it can see (imports, helpers, constants) but not the other scorers in the
file, so editing one scorer re-scores only it, while editing a shared helper re-scores every
scorer of that file. Code in other modules that a scorer imports is not part of the hash.

The hash is of what the code means, not how it is written: each top-level statement's AST
without positions, so blank lines, comments, quotes, parentheses and line breaks leave it
unchanged, and formatting a file or adding a comment above it re-scores nothing. Every
docstring is left out too, the scorer's own included, as `python -OO` leaves them out: a
docstring cannot change what a scorer returns unless the scorer reads `__doc__`, and that
rare case re-scores with ScoreLens: Re-score All. The AST's shape varies between Python
versions, so a new interpreter gives new hashes: scorers re-score once, on a Python that may
well score differently anyway.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field

from scorelens.genai.scorers.base import SCORER_PARAMETERS

SCORER_DECORATORS = frozenset(
    {
        "scorer",
        "scorers.scorer",
        "genai.scorers.scorer",
        "scorelens.genai.scorers.scorer",
        "mlflow.genai.scorers.scorer",
    }
)
# Base classes that make a class a scorer: `Scorer` as MLflow's modules and ours export it.
SCORER_MODULES = frozenset(
    {
        f"{root}.{path}"
        for root in ("mlflow", "scorelens")
        for path in ("genai", "genai.scorers", "genai.scorers.base")
    }
)
SCORER_CLASSES = frozenset(
    {"Scorer", "scorers.Scorer", "genai.Scorer", "genai.scorers.Scorer", "base.Scorer"}
    | {f"{module}.Scorer" for module in SCORER_MODULES}
)
TRACE_DECORATORS = frozenset({"trace", "scorelens.trace", "mlflow.trace"})


@dataclass(frozen=True)
class Parameter:
    name: str
    line: int  # 0-based, as LSP counts
    column: int
    required: bool


@dataclass(frozen=True)
class ScorerDef:
    name: str  # the scorer's name: `name=` if given, else the function name / class default
    function: str  # the function's or the class's name
    line: int  # 0-based line of `def` or `class`
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
                return _named(keyword.value)
    return ()


def _named(aggregations: ast.List | ast.Tuple) -> tuple[str, ...]:
    return tuple(
        e.value
        for e in aggregations.elts
        if isinstance(e, ast.Constant) and isinstance(e.value, str)
    )


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
    scan = ModuleScan()
    found: list[_Found] = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            dotted = _dotted(decorator)
            if dotted in SCORER_DECORATORS:
                found.append(
                    _Found(
                        name=_explicit_name(decorator) or node.name,
                        node=node,
                        parts=[node],
                        parameters=_parameters(node),
                        accepts_any=node.args.kwarg is not None,
                        aggregations=_aggregations(decorator),
                    )
                )
                break
            if dotted in TRACE_DECORATORS:
                scan.apps.append(AppDef(node.name, node.lineno - 1))
                break
    found.extend(_class_scorers(tree))
    found.sort(key=lambda f: _first_line(f.node))
    meanings = _meanings(tree)
    taken = {id(part) for f in found for part in f.parts}
    # The same for every scorer of the file: the module-level code none of them owns.
    context = "\0".join(meanings[id(s)] for s in tree.body if id(s) not in taken)
    for item in found:
        node = item.node
        own = "\0".join(meanings[id(part)] for part in item.parts)
        # \1 never occurs in a dump (ast.dump writes strings with repr), so own and context
        # cannot run into each other.
        digest = hashlib.sha256(f"{own}\1{context}".encode()).hexdigest()[:16]
        keyword = "class" if isinstance(node, ast.ClassDef) else "def"
        scan.scorers.append(
            ScorerDef(
                name=item.name,
                function=node.name,
                line=node.lineno - 1,
                name_column=_name_column(lines[node.lineno - 1], keyword, node.name),
                decorator_line=_first_line(node) - 1,
                end_line=(node.end_lineno or node.lineno) - 1,
                parameters=item.parameters,
                source_hash=digest,
                accepts_any=item.accepts_any,
                aggregations=item.aggregations,
            )
        )
    return scan


@dataclass
class _Found:
    """A scorer found in the tree, before hashing: where its code is, and what it declares."""

    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    parts: list[ast.stmt]  # the top-level statements that are its own code
    parameters: tuple[Parameter, ...]
    accepts_any: bool
    aggregations: tuple[str, ...]


@dataclass
class _ScorerClass:
    node: ast.ClassDef
    parts: list[ast.stmt]  # the class and the scorer classes of this file it extends
    name: str | None
    aggregations: tuple[str, ...]
    call: ast.FunctionDef | ast.AsyncFunctionDef | None


def _class_scorers(tree: ast.Module) -> list[_Found]:
    """Scorer subclasses: one scorer per module-level instance, else the class's own default.

    The worker runs the instances the module makes, else `cls()`; a class with neither a
    default `name` nor an instance, or with no `__call__` (its own or a parent's in this file),
    is a base for others and no scorer of its own.
    """
    bases = set(SCORER_CLASSES) | _scorer_class_aliases(tree)
    classes: dict[str, _ScorerClass] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        parents = [classes[d] for b in node.bases if (d := _dotted(b)) in classes]
        if not parents and not any(_dotted(b) in bases for b in node.bases):
            continue
        parent = parents[0] if parents else None
        own_name, own_aggregations, call = _class_body(node)
        classes[node.name] = _ScorerClass(
            node=node,
            parts=[node, *(part for p in parents for part in p.parts)],
            name=own_name if own_name is not None else (parent.name if parent else None),
            aggregations=own_aggregations
            if own_aggregations is not None
            else (parent.aggregations if parent else ()),
            call=call or (parent.call if parent else None),
        )
    if not classes:
        return []
    instances: dict[str, list[tuple[ast.Call, ast.stmt]]] = {}
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if isinstance(value, ast.Call) and (called := _dotted(value.func)) in classes:
            instances.setdefault(called, []).append((value, node))
    out: list[_Found] = []
    for class_name, scorer_class in classes.items():
        if scorer_class.call is None:
            continue  # no `__call__`: a base for other scorer classes
        made = instances.get(class_name)
        wanted = (
            [
                (
                    _explicit_name(call) or scorer_class.name,
                    _aggregations(call) or scorer_class.aggregations,
                    [*scorer_class.parts, statement],
                )
                for call, statement in made
            ]
            if made
            else [(scorer_class.name, scorer_class.aggregations, scorer_class.parts)]
        )
        seen: set[str] = set()
        for name, aggregations, parts in wanted:
            if name is None or name in seen:
                continue
            seen.add(name)
            call_node = scorer_class.call
            out.append(
                _Found(
                    name=name,
                    node=scorer_class.node,
                    parts=parts,
                    parameters=_parameters(call_node, skip_self=True) if call_node else (),
                    accepts_any=call_node is not None and call_node.args.kwarg is not None,
                    aggregations=aggregations,
                )
            )
    return out


def _scorer_class_aliases(tree: ast.Module) -> set[str]:
    """Local names of Scorer imported under another name (`import Scorer as BaseScorer`)."""
    aliases: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in SCORER_MODULES:
            aliases.update(a.asname for a in node.names if a.name == "Scorer" and a.asname)
    return aliases


def _class_body(
    node: ast.ClassDef,
) -> tuple[str | None, tuple[str, ...] | None, ast.FunctionDef | ast.AsyncFunctionDef | None]:
    """The class's default `name`, default named `aggregations`, and its `__call__`."""
    name: str | None = None
    aggregations: tuple[str, ...] | None = None
    call: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for item in node.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(item, ast.AnnAssign):
            target, value = item.target, item.value
        elif isinstance(item, ast.Assign) and len(item.targets) == 1:
            target, value = item.targets[0], item.value
        elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "__call__":
            call = item
        if not isinstance(target, ast.Name):
            continue
        if target.id == "name" and isinstance(value, ast.Constant):
            name = value.value if isinstance(value.value, str) else None
        elif target.id == "aggregations" and isinstance(value, (ast.List, ast.Tuple)):
            aggregations = _named(value)
    return name, aggregations, call


def _meanings(tree: ast.Module) -> dict[int, str]:
    """Each top-level statement's AST without positions or docstrings, by the statement's id."""
    _drop_docstrings(tree)
    return {id(s): ast.dump(s, include_attributes=False) for s in tree.body}


_HAS_DOCSTRING = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _drop_docstrings(node: ast.AST) -> None:
    """Removes docstrings in place, here and in every nested def and class.

    Only statement lists are walked: a def or class is always a statement, and expressions,
    most of a tree, can hold none.
    """
    body = getattr(node, "body", None)
    if (
        isinstance(node, _HAS_DOCSTRING)
        and body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        node.body = body[1:]
    for _, value in ast.iter_fields(node):
        if isinstance(value, list):
            for child in value:
                if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                    _drop_docstrings(child)


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _name_column(line: str, keyword: str, name: str) -> int:
    index = line.find(f"{keyword} {name}")
    return index + len(keyword) + 1 if index >= 0 else 0


def _parameters(
    node: ast.FunctionDef | ast.AsyncFunctionDef, skip_self: bool = False
) -> tuple[Parameter, ...]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    out = [
        Parameter(a.arg, a.lineno - 1, a.col_offset, required=i < first_default)
        for i, a in enumerate(positional)
        if not (skip_self and i == 0)
    ]
    out += [
        Parameter(a.arg, a.lineno - 1, a.col_offset, required=default is None)
        for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    return tuple(out)
