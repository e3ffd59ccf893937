"""The custom protocol's two declarations, described as the same data so they can be compared.

`describe_python()` reads `scorelens/lsp/protocol.py`; `describe_typescript()` reads
`extension/src/protocol.ts` through the TypeScript compiler (extension/scripts/protocol-shape.mjs).
Both give every method (with its params and result type names) and every type: an object's
fields (name, type, optional) or an alias's type, types spelt the TypeScript way, union members
sorted. `assert_conforms()` checks a JSON value against a declared type, for tests that read
what the server sends.

    python tests/protocol_shape.py      prints the Python side's description (for the TS tests)
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import typing_extensions

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "server") not in sys.path:
    sys.path.insert(0, str(REPO / "server"))

TYPESCRIPT_FILE = REPO / "extension" / "src" / "protocol.ts"
DESCRIBE_TYPESCRIPT = REPO / "extension" / "scripts" / "protocol-shape.mjs"

Description = dict[str, Any]
_REQUIRED_MARKS = (typing_extensions.NotRequired, typing_extensions.Required)


# -- the Python side ------------------------------------------------------------------------------


def describe_python(module: types.ModuleType | None = None) -> Description:
    if module is None:
        from scorelens.lsp import protocol

        module = protocol
    described: Description = {"requests": {}, "notifications": {}, "types": {}}
    aliases = {
        id(value): name
        for name, value in vars(module).items()
        if name[:1].isupper() and typing.get_origin(value) in (typing.Literal, typing.Union)
    }
    for name, value in vars(module).items():
        if isinstance(value, type) and typing.is_typeddict(value):
            hints = typing.get_type_hints(value, include_extras=True)
            described["types"][name] = {
                "fields": {
                    key: {
                        "type": _spell(_strip_required(hint), aliases),
                        "optional": key in getattr(value, "__optional_keys__", ()),
                    }
                    for key, hint in hints.items()
                }
            }
        elif id(value) in aliases and aliases[id(value)] == name:
            described["types"][name] = {"alias": _spell(value, aliases, top=True)}
    for request in module.REQUESTS:
        described["requests"][request.method] = {
            "params": request.params.__name__,
            "result": request.result.__name__,
        }
    for notification in module.NOTIFICATIONS:
        described["notifications"][notification.method] = {"params": notification.params.__name__}
    return described


def _strip_required(hint: Any) -> Any:
    if typing.get_origin(hint) in _REQUIRED_MARKS:
        return typing.get_args(hint)[0]
    return hint


def _spell(hint: Any, aliases: dict[int, str], top: bool = False) -> str:
    """A Python type as TypeScript spells it."""
    if not top and id(hint) in aliases:
        return aliases[id(hint)]
    members = _members(hint, aliases)
    return " | ".join(sorted(set(members)))


def _members(hint: Any, aliases: dict[int, str]) -> list[str]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(hint) for m in _members(arg, aliases)]
    if origin is typing.Literal:
        return [json.dumps(v) for v in typing.get_args(hint)]
    if hint is type(None) or hint is None:
        return ["null"]
    if hint is typing.Any:
        return ["unknown"]
    if hint is str:
        return ["string"]
    if hint in (int, float):
        return ["number"]
    if hint is bool:
        return ["boolean"]
    if origin is list:
        (item,) = typing.get_args(hint)
        spelt = _spell(item, aliases)
        return [f"({spelt})[]" if " | " in spelt else f"{spelt}[]"]
    if origin is dict:
        key, item = typing.get_args(hint)
        return [f"Record<{_spell(key, aliases)}, {_spell(item, aliases)}>"]
    if isinstance(hint, type) and typing.is_typeddict(hint):
        return [hint.__name__]
    if id(hint) in aliases:
        return [aliases[id(hint)]]
    raise TypeError(f"no TypeScript spelling for {hint!r}: keep protocol types to JSON shapes")


# -- the TypeScript side --------------------------------------------------------------------------


def describe_typescript(*paths: Path) -> list[Description]:
    """Each file's description, read by the TypeScript compiler (one node process for all)."""
    found = subprocess.run(
        ["node", str(DESCRIBE_TYPESCRIPT), *map(str, paths or (TYPESCRIPT_FILE,))],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO / "extension",
    )
    assert found.returncode == 0, found.stderr
    described: list[Description] = json.loads(found.stdout)
    return described


# -- comparing ------------------------------------------------------------------------------------


def differences(python: Description, typescript: Description) -> list[str]:
    """Where the two declarations disagree, one line each; empty when they mirror each other."""
    out: list[str] = []
    for section in ("requests", "notifications", "types"):
        ours, theirs = python[section], typescript[section]
        for name in sorted(set(ours) | set(theirs)):
            if name not in theirs:
                out.append(f"{section} {name}: only in protocol.py")
            elif name not in ours:
                out.append(f"{section} {name}: only in protocol.ts")
            elif section == "types" and "fields" in ours[name] and "fields" in theirs[name]:
                out.extend(_field_differences(name, ours[name]["fields"], theirs[name]["fields"]))
            elif ours[name] != theirs[name]:
                out.append(
                    f"{section} {name}: {ours[name]} in Python, {theirs[name]} in TypeScript"
                )
    return out


def _field_differences(type_name: str, ours: Description, theirs: Description) -> list[str]:
    out = []
    for field in sorted(set(ours) | set(theirs)):
        a, b = ours.get(field), theirs.get(field)
        if a != b:
            out.append(f"{type_name}.{field}: {a} in Python, {b} in TypeScript")
    if list(ours) != list(theirs) and not out:
        out.append(f"{type_name}: fields in another order ({list(ours)} / {list(theirs)})")
    return out


# -- checking values ------------------------------------------------------------------------------


def assert_conforms(value: Any, declared: Any, where: str = "$") -> None:
    """`value` (JSON data) is of the declared protocol type: keys, optionality, value types."""
    origin = typing.get_origin(declared)
    if declared is typing.Any:
        return
    if origin in _REQUIRED_MARKS:
        assert_conforms(value, typing.get_args(declared)[0], where)
    elif origin in (typing.Union, types.UnionType):
        problems = []
        for member in typing.get_args(declared):
            try:
                assert_conforms(value, member, where)
                return
            except AssertionError as exc:
                problems.append(str(exc))
        raise AssertionError(" / ".join(problems))
    elif origin is typing.Literal:
        assert value in typing.get_args(declared), f"{where}: {value!r} not in {declared}"
    elif declared is type(None):
        assert value is None, f"{where}: {value!r} is not null"
    elif declared is float:
        assert isinstance(value, (int, float)) and not isinstance(value, bool), where
    elif declared in (str, int, bool):
        assert type(value) is declared, f"{where}: {value!r} is not {declared.__name__}"
    elif origin is list:
        assert isinstance(value, list), f"{where}: {value!r} is not a list"
        for index, item in enumerate(value):
            assert_conforms(item, typing.get_args(declared)[0], f"{where}[{index}]")
    elif origin is dict:
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        for key, item in value.items():
            assert isinstance(key, str), where
            assert_conforms(item, typing.get_args(declared)[1], f"{where}.{key}")
    elif isinstance(declared, type) and typing.is_typeddict(declared):
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        hints = typing.get_type_hints(declared, include_extras=True)
        missing = set(getattr(declared, "__required_keys__", ())) - value.keys()
        unknown = value.keys() - hints.keys()
        assert not missing, f"{where}: {declared.__name__} without {sorted(missing)}"
        assert not unknown, f"{where}: {declared.__name__} has undeclared {sorted(unknown)}"
        for key, item in value.items():
            assert_conforms(item, hints[key], f"{where}.{key}")
    else:
        raise TypeError(f"{where}: cannot check against {declared!r}")


if __name__ == "__main__":
    print(json.dumps(describe_python(), indent=1))
