"""MLflow's trace search grammar: `filter_string` and `order_by` of `search_traces`.

A filter is comparisons joined by AND (OR and parentheses are not part of MLflow's grammar)::

    trace.status = 'OK' AND tags.env LIKE 'prod%' AND feedback.score >= 0.8

Identifiers are `<entity>.<key>` (a key with dots or odd characters goes in backticks:
tags.`mlflow.traceName`), or a bare attribute key. Entities, keys and comparators are MLflow's
(mlflow.utils.search_utils.SearchTraceUtils, evaluated as its SQL store does):

- attributes (`trace.`, `attribute.`, `attributes.` or none): `status`, `request_id`,
  `client_request_id` (= != LIKE ILIKE RLIKE IN NOT IN); `timestamp_ms`, `execution_time_ms`,
  `end_time_ms` and their aliases without `_ms` (= != < <= > >=, numbers); `name` (the
  `mlflow.traceName` tag), `run_id` (the `mlflow.sourceRun` metadata), `prompt` (= only,
  "name/version"), `text` (LIKE/ILIKE over every span's content).
- `tag.`/`tags.` and `metadata.`/`request_metadata.`: = != LIKE ILIKE RLIKE IS NULL IS NOT NULL.
- `span.name`, `span.type`, `span.status` (= != LIKE ILIKE RLIKE IN NOT IN),
  `span.attributes.<key>` (LIKE ILIKE RLIKE), `span.content` (LIKE ILIKE): any span may match.
- `issue.id = '<id>'`: traces linked to that issue (ScoreLens records none yet).
- `feedback.<name>`, `expectation.<name>`: = != LIKE ILIKE RLIKE on the value's JSON text
  (`'positive'` matches "positive", `'true'` matches True, `'3'` matches 3); < <= > >= with a
  number, on numeric values only; IS NULL / IS NOT NULL. Only valid (not overridden) ones count.

As in SQL, a missing value (no such tag, no client request id) matches no comparison; only
IS NULL finds it. LIKE is case-sensitive, ILIKE not; `%` is any run of characters, `_` one.
RLIKE is a Python regular expression, searched anywhere in the value.

A filter that does not parse raises SearchFilterError naming the offending token and where it is.
That includes a few MLflow lets through while answering another question than the one asked: a
trailing AND, comparisons without AND between them, a list missing a comma (MLflow joins
('a' 'b') into 'ab'), a timestamp compared with a word, an RLIKE pattern that is not a regular
expression, and `=` on `span.attributes.<key>` (documented for LIKE/ILIKE; MLflow's `=` never
matches). Nor is MLflow's rewriting of any `<entity>.name` or `<entity>.run_id` into the trace
name or run copied: `tags.name` is the tag called "name".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from scorelens.entities import Trace
from scorelens.entities.assessment import Expectation, Feedback

Predicate = Callable[[Trace], bool]

TRACE_NAME_TAG = "mlflow.traceName"
LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
SOURCE_RUN_METADATA = "mlflow.sourceRun"
MODEL_ID_METADATA = "mlflow.modelId"


class SearchFilterError(ValueError):
    """A `filter_string` or `order_by` clause that is not MLflow's trace search grammar."""


# -- tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, string, number, op, keyword, lparen, rparen, comma
    text: str  # as written
    pos: int  # offset in the filter string
    value: Any = None  # string contents, number, keyword in upper case, identifier parts


_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "RLIKE"})
# An identifier is dot-separated parts; a part with dots or odd characters is in backticks.
_PART = r"(?:[A-Za-z0-9_]+|`[^`]*`|\"[^\"]*\")"
_TOKEN_RE = re.compile(
    "|".join(
        [
            r"(?P<ws>\s+)",
            r"""(?P<string>'(?:''|\\.|[^'\\])*'|"(?:""|\\.|[^"\\])*")""",
            r"(?P<number>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_]))",
            rf"(?P<ident>(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]*`)(?:\.{_PART})*)",
            r"(?P<op>!=|<>|==|<=|>=|=|<|>)",
            r"(?P<lparen>\()",
            r"(?P<rparen>\))",
            r"(?P<comma>,)",
        ]
    )
)


def _tokenize(text: str, what: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise SearchFilterError(
                f"Invalid {what} {text!r}: unexpected {text[pos]!r} at position {pos}"
            )
        kind = match.lastgroup
        raw = match.group()
        if kind == "string":
            # As MLflow does, only the enclosing quotes are removed.
            tokens.append(_Token("string", raw, pos, raw[1:-1]))
        elif kind == "number":
            number: float | int = float(raw) if re.search(r"[.eE]", raw) else int(raw)
            tokens.append(_Token("number", raw, pos, number))
        elif kind == "ident":
            if raw.upper() in _KEYWORDS:
                tokens.append(_Token("keyword", raw, pos, raw.upper()))
            else:
                tokens.append(_Token("ident", raw, pos, raw))
        elif kind != "ws":
            assert kind is not None
            tokens.append(_Token(kind, raw, pos, raw))
        pos = match.end()
    return tokens


def _unquote(part: str) -> str:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "`\"'":
        return part[1:-1]
    return part


# -- identifiers -------------------------------------------------------------------------------

ATTRIBUTE = "attribute"
TAG = "tag"
METADATA = "request_metadata"
SPAN = "span"
FEEDBACK = "feedback"
EXPECTATION = "expectation"
ISSUE = "issue"

_ENTITY_ALIASES = {
    "attribute": ATTRIBUTE,
    "attributes": ATTRIBUTE,
    "trace": ATTRIBUTE,
    "tag": TAG,
    "tags": TAG,
    "metadata": METADATA,
    "request_metadata": METADATA,
    "span": SPAN,
    "feedback": FEEDBACK,
    "expectation": EXPECTATION,
    "issue": ISSUE,
}

_NUMERIC_KEYS = {
    "timestamp": "timestamp_ms",
    "timestamp_ms": "timestamp_ms",
    "execution_time": "execution_time_ms",
    "execution_time_ms": "execution_time_ms",
    "end_time": "end_time_ms",
    "end_time_ms": "end_time_ms",
}
_STRING_KEYS = {"status", "request_id", "client_request_id"}
_SEARCH_ATTRIBUTE_KEYS = sorted({*_NUMERIC_KEYS, *_STRING_KEYS, "name", "run_id", "prompt", "text"})
_ORDER_BY_ATTRIBUTE_KEYS = sorted(
    {*_NUMERIC_KEYS, "status", "request_id", "experiment_id", "name", "run_id"}
)
_SPAN_KEYS = ("name", "type", "status")

_STRING_COMPARATORS = ("=", "!=", "LIKE", "ILIKE", "RLIKE", "IN", "NOT IN")
_NUMERIC_COMPARATORS = ("=", "!=", "<", "<=", ">", ">=")
_KEY_VALUE_COMPARATORS = ("=", "!=", "LIKE", "ILIKE", "RLIKE", "IS NULL", "IS NOT NULL")
_ASSESSMENT_COMPARATORS = (
    *_KEY_VALUE_COMPARATORS[:5],
    "<",
    "<=",
    ">",
    ">=",
    *_KEY_VALUE_COMPARATORS[5:],
)
_CONTENT_COMPARATORS = ("LIKE", "ILIKE")
_SPAN_ATTRIBUTE_COMPARATORS = ("LIKE", "ILIKE", "RLIKE")


@dataclass(frozen=True)
class _Identifier:
    entity: str
    key: str


def _identifier(token: _Token, valid_keys: list[str], source: str, what: str) -> _Identifier:
    """`<entity>.<key>` or a bare attribute key, resolved to MLflow's entity and key."""
    raw = str(token.value)
    entity_part, dot, key_part = _split_first(raw)
    if not dot:
        entity, key = ATTRIBUTE, _unquote(entity_part)
    else:
        name = _unquote(entity_part)
        if name not in _ENTITY_ALIASES:
            raise SearchFilterError(
                f"Invalid {what} {source!r}: invalid entity type {name!r} in {raw!r} at "
                f"position {token.pos}. Valid values are {sorted(_ENTITY_ALIASES)}"
            )
        entity, key = _ENTITY_ALIASES[name], _unquote(key_part)
    if entity == ATTRIBUTE and key not in valid_keys:
        raise SearchFilterError(
            f"Invalid {what} {source!r}: invalid attribute key {key!r} in {raw!r} at position "
            f"{token.pos}. Valid keys are {valid_keys}"
        )
    if not key:
        raise SearchFilterError(
            f"Invalid {what} {source!r}: {raw!r} at position {token.pos} has an empty key"
        )
    return _Identifier(entity, key)


def _split_first(raw: str) -> tuple[str, str, str]:
    # The entity is everything before the first dot outside backticks or quotes.
    quote = ""
    for index, char in enumerate(raw):
        if quote:
            if char == quote:
                quote = ""
        elif char in '`"':
            quote = char
        elif char == ".":
            return raw[:index], ".", raw[index + 1 :]
    return raw, "", ""


# -- values and matching -----------------------------------------------------------------------


def _like_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    regex = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern
    )
    return re.compile(f"^{regex}$", flags | re.DOTALL)


def _string_test(comparator: str, value: Any, token: _Token, source: str) -> Callable[[str], bool]:
    """A test of one string against the clause's value."""
    if comparator == "=":
        return lambda s: s == value
    if comparator == "!=":
        return lambda s: s != value
    if comparator in ("IN", "NOT IN"):
        members = frozenset(value)
        return (lambda s: s in members) if comparator == "IN" else (lambda s: s not in members)
    if comparator in ("LIKE", "ILIKE"):
        like = _like_regex(value, re.IGNORECASE if comparator == "ILIKE" else 0)
        return lambda s: like.match(s) is not None
    if comparator == "RLIKE":
        try:
            regex = re.compile(value)
        except re.error as exc:
            raise SearchFilterError(
                f"Invalid filter {source!r}: {token.text} at position {token.pos} is not a "
                f"valid regular expression for RLIKE: {exc}"
            ) from None
        return lambda s: regex.search(s) is not None
    raise AssertionError(comparator)


def _numeric_test(comparator: str, value: float) -> Callable[[float], bool]:
    return {
        "=": lambda x: x == value,
        "!=": lambda x: x != value,
        "<": lambda x: x < value,
        "<=": lambda x: x <= value,
        ">": lambda x: x > value,
        ">=": lambda x: x >= value,
    }[comparator]


def _json_text(value: Any) -> str:
    # MLflow's SQL store keeps assessment values as json.dumps(value) and compares that text.
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def trace_name(trace: Trace) -> str | None:
    """The trace's name: its `mlflow.traceName` tag, else its root span's name."""
    name = trace.info.tags.get(TRACE_NAME_TAG)
    if name is None:
        root = trace.root_span
        return None if root is None else root.name
    return name


def _run_id(trace: Trace) -> str | None:
    return trace.info.trace_metadata.get(SOURCE_RUN_METADATA) or trace.info.run_id


def _state(trace: Trace) -> str:
    state = trace.info.state
    return str(getattr(state, "value", state))


def _end_time(trace: Trace) -> int:
    return trace.info.request_time + (trace.info.execution_duration or 0)


def _tag(trace: Trace, key: str) -> str | None:
    if key == TRACE_NAME_TAG:
        return trace_name(trace)
    return trace.info.tags.get(key)


def _metadata(trace: Trace, key: str) -> str | None:
    if key == SOURCE_RUN_METADATA:
        return _run_id(trace)
    return trace.info.trace_metadata.get(key)


_ATTRIBUTE_GETTERS: dict[str, Callable[[Trace], Any]] = {
    "status": _state,
    "request_id": lambda t: t.info.trace_id,
    "client_request_id": lambda t: t.info.client_request_id,
    "timestamp_ms": lambda t: t.info.request_time,
    "execution_time_ms": lambda t: t.info.execution_duration,
    "end_time_ms": _end_time,
    "experiment_id": lambda t: t.info.experiment_id,
}


def _assessment_values(trace: Trace, kind: str, name: str) -> list[Any]:
    """Values of the trace's valid feedback (or expectations) named `name`."""
    wanted = Feedback if kind == FEEDBACK else Expectation
    values = [
        a.value
        for a in trace.info.assessments
        if a.name == name and a.valid is not False and isinstance(a, wanted)
    ]
    # An eval row's expectations are the trace's expectations too, unless one was logged.
    if kind == EXPECTATION and not values and name in trace.info.expectations:
        value = trace.info.expectations[name]
        if value is not None:
            values.append(value)
    return values


def _span_content(span: Any) -> str:
    return json.dumps(span.to_dict(), ensure_ascii=False, default=str)


# -- clauses -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One comparison of a filter, compiled to a test of a trace."""

    entity: str
    key: str
    comparator: str
    value: Any
    test: Predicate


def parse_filter(filter_string: str | None) -> list[Clause]:
    """The AND-ed clauses of a filter string; none for None or ""."""
    if not filter_string:
        return []
    source = filter_string
    tokens = _tokenize(source, "filter")
    if not tokens:
        raise SearchFilterError(f"Invalid filter {source!r}: it has no comparison")
    clauses: list[Clause] = []
    index = 0
    while True:
        clause, index = _clause(tokens, index, source)
        clauses.append(clause)
        if index == len(tokens):
            return clauses
        token = tokens[index]
        if token.kind == "keyword" and token.value == "AND":
            index += 1
            if index == len(tokens):
                raise SearchFilterError(
                    f"Invalid filter {source!r}: 'AND' at position {token.pos} is not "
                    "followed by a comparison"
                )
            continue
        hint = (
            "; OR is not supported, only AND"
            if token.kind == "keyword" and token.value == "OR"
            else "; join comparisons with AND"
        )
        raise SearchFilterError(
            f"Invalid filter {source!r}: unexpected {token.text!r} at position {token.pos}{hint}"
        )


def _expect_value(tokens: list[_Token], index: int, source: str, after: _Token) -> _Token:
    if index >= len(tokens):
        raise SearchFilterError(
            f"Invalid filter {source!r}: {after.text!r} at position {after.pos} is not "
            "followed by a value"
        )
    return tokens[index]


def _clause(tokens: list[_Token], index: int, source: str) -> tuple[Clause, int]:
    first = tokens[index]
    if first.kind != "ident":
        if first.kind == "lparen":
            detail = "; parentheses are not supported"
        else:
            detail = "; expected an identifier such as trace.status or tags.<key>"
        raise SearchFilterError(
            f"Invalid filter {source!r}: unexpected {first.text!r} at position {first.pos}{detail}"
        )
    identifier = _identifier(first, _SEARCH_ATTRIBUTE_KEYS, source, "filter")
    index += 1
    if index >= len(tokens):
        raise SearchFilterError(
            f"Invalid filter {source!r}: {first.text!r} at position {first.pos} is not "
            "followed by a comparison such as = 'value'"
        )
    op = tokens[index]
    value_token: _Token | None = None
    value: Any = None
    if op.kind == "op":
        comparator = op.text
        index += 1
        value_token = _expect_value(tokens, index, source, op)
        if value_token.kind not in ("string", "number"):
            raise SearchFilterError(
                f"Invalid filter {source!r}: expected a value after {op.text!r} but found "
                f"{value_token.text!r} at position {value_token.pos}"
            )
        index += 1
    elif op.kind == "keyword" and op.value in ("LIKE", "ILIKE", "RLIKE"):
        comparator = str(op.value)
        index += 1
        value_token = _expect_value(tokens, index, source, op)
        if value_token.kind not in ("string", "number"):
            raise SearchFilterError(
                f"Invalid filter {source!r}: expected a quoted pattern after {op.text!r} but "
                f"found {value_token.text!r} at position {value_token.pos}"
            )
        index += 1
    elif op.kind == "keyword" and op.value == "IS":
        after = tokens[index + 1 : index + 3]
        if after and after[0].kind == "keyword" and after[0].value == "NULL":
            comparator, index = "IS NULL", index + 2
        elif (
            len(after) == 2
            and after[0].kind == "keyword"
            and after[0].value == "NOT"
            and after[1].kind == "keyword"
            and after[1].value == "NULL"
        ):
            comparator, index = "IS NOT NULL", index + 3
        else:
            raise SearchFilterError(
                f"Invalid filter {source!r}: 'IS' at position {op.pos} must be followed by "
                "NULL or NOT NULL"
            )
    elif op.kind == "keyword" and op.value in ("IN", "NOT"):
        if op.value == "NOT":
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is None or following.kind != "keyword" or following.value != "IN":
                raise SearchFilterError(
                    f"Invalid filter {source!r}: 'NOT' at position {op.pos} must be followed by IN"
                )
            comparator, index = "NOT IN", index + 2
        else:
            comparator, index = "IN", index + 1
        value, index, value_token = _value_list(tokens, index, source, op)
    else:
        raise SearchFilterError(
            f"Invalid filter {source!r}: expected a comparator (=, !=, <, <=, >, >=, LIKE, "
            f"ILIKE, RLIKE, IN, NOT IN, IS NULL) after {first.text!r} but found {op.text!r} "
            f"at position {op.pos}"
        )
    if value_token is not None and value is None:
        value = value_token.value
    where = value_token if value_token is not None else op
    return _compile(identifier, comparator, value, where, first, source), index


def _value_list(
    tokens: list[_Token], index: int, source: str, op: _Token
) -> tuple[tuple[Any, ...], int, _Token]:
    if index >= len(tokens) or tokens[index].kind != "lparen":
        found = f"{tokens[index].text!r}" if index < len(tokens) else "the end"
        raise SearchFilterError(
            f"Invalid filter {source!r}: {op.text!r} at position {op.pos} must be followed by "
            f"a parenthesised list of quoted strings, e.g. ('a', 'b'), not {found}"
        )
    opening = tokens[index]
    index += 1
    values: list[Any] = []
    expect_value = True
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "rparen" and (values or not expect_value):
            return tuple(values), index + 1, opening
        if expect_value and token.kind == "string":
            values.append(token.value)
            expect_value = False
        elif expect_value and token.kind == "number":
            raise SearchFilterError(
                f"Invalid filter {source!r}: the list at position {opening.pos} must hold "
                f"quoted strings, not {token.text!r} (position {token.pos})"
            )
        elif not expect_value and token.kind == "comma":
            expect_value = True
        else:
            raise SearchFilterError(
                f"Invalid filter {source!r}: unexpected {token.text!r} at position {token.pos} "
                f"in the list that starts at position {opening.pos}"
            )
        index += 1
    raise SearchFilterError(
        f"Invalid filter {source!r}: the list at position {opening.pos} is not closed, or is empty"
    )


def _bad_comparator(
    comparator: str, valid: Iterable[str], what: str, where: _Token, source: str
) -> SearchFilterError:
    return SearchFilterError(
        f"Invalid filter {source!r}: invalid comparator {comparator!r} for {what} (at "
        f"position {where.pos}); use one of {list(valid)}"
    )


def _compile(
    identifier: _Identifier,
    comparator: str,
    value: Any,
    where: _Token,
    ident_token: _Token,
    source: str,
) -> Clause:
    entity, key = identifier.entity, identifier.key
    subject = ident_token.text

    def need_string() -> str:
        if not isinstance(value, str):
            raise SearchFilterError(
                f"Invalid filter {source!r}: {subject} needs a quoted string value (e.g. "
                f"'my-value'), not {where.text} at position {where.pos}"
            )
        return value

    def check(valid: tuple[str, ...], what: str) -> None:
        if comparator not in valid:
            raise _bad_comparator(comparator, valid, what, where, source)

    def done(test: Predicate) -> Clause:
        return Clause(entity, key, comparator, value, test)

    if entity == ISSUE:
        if key != "id":
            raise SearchFilterError(
                f"Invalid filter {source!r}: invalid issue attribute {key!r} in {subject} at "
                f"position {ident_token.pos}. Supported attributes: id"
            )
        check(("=",), "issue.id")
        issue_id = need_string()
        # An issue is linked to a trace as an assessment named after the issue's id.
        return done(
            lambda t: any(
                getattr(a, "issue", None) is not None and a.name == issue_id
                for a in t.info.assessments
            )
        )

    if entity == ATTRIBUTE:
        if key in _NUMERIC_KEYS:
            check(_NUMERIC_COMPARATORS, f"the numeric attribute {key!r}")
            number = _as_number(value, subject, where, source)
            getter = _ATTRIBUTE_GETTERS[_NUMERIC_KEYS[key]]
            number_test = _numeric_test(comparator, number)

            def numeric(trace: Trace) -> bool:
                found = getter(trace)
                return found is not None and number_test(found)

            return done(numeric)
        if key == "name":
            entity, key = TAG, TRACE_NAME_TAG
        elif key == "run_id":
            entity, key = METADATA, SOURCE_RUN_METADATA
        elif key == "text":
            entity, key = SPAN, "content"
        elif key == "prompt":
            check(("=",), "prompt")
            return done(_prompt_test(need_string(), where, source))
        else:
            check(_STRING_COMPARATORS, f"the attribute {key!r}")
            if comparator not in ("IN", "NOT IN"):
                need_string()
            getter = _ATTRIBUTE_GETTERS[key]
            string_test = _string_test(comparator, value, where, source)

            def attribute(trace: Trace) -> bool:
                found = getter(trace)
                return found is not None and string_test(found)

            return done(attribute)

    if entity in (TAG, METADATA):
        what = "tags" if entity == TAG else "metadata"
        if comparator in ("IN", "NOT IN"):
            raise _bad_comparator(comparator, _KEY_VALUE_COMPARATORS, what, where, source)
        check(_KEY_VALUE_COMPARATORS, what)
        lookup = _tag if entity == TAG else _metadata
        if comparator == "IS NULL":
            return Clause(entity, key, comparator, None, lambda t: lookup(t, key) is None)
        if comparator == "IS NOT NULL":
            return Clause(entity, key, comparator, None, lambda t: lookup(t, key) is not None)
        string_test = _string_test(comparator, need_string(), where, source)

        def key_value(trace: Trace) -> bool:
            found = lookup(trace, key)
            return found is not None and string_test(found)

        return Clause(entity, key, comparator, value, key_value)

    if entity == SPAN:
        return done(_span_test(key, comparator, value, where, subject, source, need_string))

    # feedback / expectation
    check(_ASSESSMENT_COMPARATORS, f"{entity} values")
    kind = entity
    if comparator in ("IS NULL", "IS NOT NULL"):
        present = comparator == "IS NOT NULL"
        return done(lambda t: bool(_assessment_values(t, kind, key)) == present)
    if comparator in ("<", "<=", ">", ">="):
        if not isinstance(value, (int, float)):
            raise SearchFilterError(
                f"Invalid filter {source!r}: {subject} {comparator} needs a number, not "
                f"{where.text} at position {where.pos}"
            )
        number_test = _numeric_test(comparator, float(value))
        return done(
            lambda t: any(
                _is_number(v) and number_test(float(v)) for v in _assessment_values(t, kind, key)
            )
        )
    wanted = need_string()
    if comparator in ("=", "!="):
        # A stored value matches its JSON text ('3', 'true') or the JSON of a string ('yes').
        texts = {wanted, json.dumps(wanted)}
        equal = comparator == "="
        return done(
            lambda t: any(
                (_json_text(v) in texts) == equal for v in _assessment_values(t, kind, key)
            )
        )
    string_test = _string_test(comparator, wanted, where, source)
    return done(lambda t: any(string_test(_json_text(v)) for v in _assessment_values(t, kind, key)))


def _as_number(value: Any, subject: str, where: _Token, source: str) -> float:
    if isinstance(value, (int, float)):
        return value
    try:
        # MLflow's SQL comparison also takes a quoted number: timestamp_ms > '1700000000000'.
        return float(value)
    except (TypeError, ValueError):
        raise SearchFilterError(
            f"Invalid filter {source!r}: {subject} needs a number, not {where.text} at "
            f"position {where.pos}"
        ) from None


def _prompt_test(value: str, where: _Token, source: str) -> Predicate:
    if value.count("/") != 1:
        raise SearchFilterError(
            f"Invalid filter {source!r}: prompt value {where.text} at position {where.pos} "
            'must be "name/version"'
        )
    name, version = value.split("/")

    def linked(trace: Trace) -> bool:
        raw = trace.info.tags.get(LINKED_PROMPTS_TAG)
        if not raw:
            return False
        try:
            prompts = json.loads(raw)
        except json.JSONDecodeError:
            return False
        return isinstance(prompts, list) and any(
            isinstance(p, dict) and p.get("name") == name and str(p.get("version")) == version
            for p in prompts
        )

    return linked


def _span_test(
    key: str,
    comparator: str,
    value: Any,
    where: _Token,
    subject: str,
    source: str,
    need_string: Callable[[], str],
) -> Predicate:
    def invalid(valid: tuple[str, ...], what: str) -> SearchFilterError:
        return _bad_comparator(comparator, valid, what, where, source)

    if key == "content":
        if comparator not in _CONTENT_COMPARATORS:
            raise invalid(_CONTENT_COMPARATORS, "span content (trace.text)")
        content_test = _string_test(comparator, need_string(), where, source)
        return lambda t: any(content_test(_span_content(s)) for s in t.spans)
    if key.startswith("attributes."):
        name = _unquote(key[len("attributes.") :])
        if not name:
            raise SearchFilterError(
                f"Invalid filter {source!r}: {subject} names no attribute after 'attributes.'"
            )
        if comparator not in _SPAN_ATTRIBUTE_COMPARATORS:
            raise invalid(_SPAN_ATTRIBUTE_COMPARATORS, "span attributes")
        pattern = need_string()
        if comparator == "RLIKE":
            regex_test = _string_test(comparator, pattern, where, source)

            def attribute_regex(trace: Trace) -> bool:
                return any(
                    name in s.attributes and regex_test(_plain_text(s.attributes[name]))
                    for s in trace.spans
                )

            return attribute_regex
        # MLflow matches `%"<name>"<pattern>%` against the span's JSON, so a pattern meets the
        # attribute's JSON text and may end anywhere in it.
        like_test = _string_test(comparator, pattern + "%", where, source)

        def attribute_like(trace: Trace) -> bool:
            return any(
                name in s.attributes and like_test(_json_text(s.attributes[name]))
                for s in trace.spans
            )

        return attribute_like
    if key not in _SPAN_KEYS:
        raise SearchFilterError(
            f"Invalid filter {source!r}: invalid span attribute {key!r} in {subject} at "
            f"position {where.pos}. Supported: name, type, status, attributes.<name>, content"
        )
    if comparator not in _STRING_COMPARATORS:
        raise invalid(_STRING_COMPARATORS, f"span.{key}")
    if comparator not in ("IN", "NOT IN"):
        need_string()
    span_string_test = _string_test(comparator, value, where, source)
    field: Callable[[Any], str] = {
        "name": lambda s: s.name,
        "type": lambda s: str(s.span_type),
        "status": lambda s: str(s.status.status_code),
    }[key]
    return lambda t: any(span_string_test(field(s)) for s in t.spans)


def _plain_text(value: Any) -> str:
    return value if isinstance(value, str) else _json_text(value)


# -- order_by ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderKey:
    entity: str
    key: str
    ascending: bool
    value: Callable[[Trace], Any]


def parse_order_by(order_by: list[str] | None) -> list[OrderKey]:
    """MLflow's order_by clauses, `<key> [ASC|DESC]`, then its tie-breakers.

    Traces come newest first unless told otherwise; equal keys fall back to the newest first,
    then to the trace id (MLflow's SQL store does the same).
    """
    if order_by is None:
        order_by = []
    if isinstance(order_by, str):
        raise SearchFilterError(
            f"order_by must be a list of strings, got the string {order_by!r}; "
            f"did you mean order_by=[{order_by!r}]?"
        )
    keys: list[OrderKey] = []
    seen: set[tuple[str, str]] = set()
    for clause in order_by:
        key = _order_key(clause)
        if (key.entity, key.key) in seen:
            raise SearchFilterError(f"`order_by` contains duplicate fields: {order_by}")
        seen.add((key.entity, key.key))
        keys.append(key)
    if (ATTRIBUTE, "timestamp_ms") not in seen:
        keys.append(OrderKey(ATTRIBUTE, "timestamp_ms", False, _ATTRIBUTE_GETTERS["timestamp_ms"]))
    if (ATTRIBUTE, "request_id") not in seen:
        keys.append(OrderKey(ATTRIBUTE, "request_id", True, _ATTRIBUTE_GETTERS["request_id"]))
    return keys


def _order_key(clause: str) -> OrderKey:
    if not isinstance(clause, str):
        raise SearchFilterError(f"Invalid order_by clause {clause!r}: expected a string")
    tokens = _tokenize(clause, "order_by clause")
    if not tokens or tokens[0].kind != "ident":
        raise SearchFilterError(f"Invalid order_by clause {clause!r}. Could not be parsed.")
    if len(tokens) > 2:
        raise SearchFilterError(
            f"Invalid order_by clause {clause!r}: unexpected {tokens[2].text!r} at position "
            f"{tokens[2].pos}; write '<key> ASC' or '<key> DESC'"
        )
    ascending = True
    if len(tokens) == 2:
        direction = tokens[1].text.upper()
        if direction not in ("ASC", "DESC"):
            raise SearchFilterError(
                f"Invalid ordering key in order_by clause {clause!r}: {tokens[1].text!r} at "
                f"position {tokens[1].pos}; use ASC or DESC"
            )
        ascending = direction == "ASC"
    identifier = _identifier(tokens[0], _ORDER_BY_ATTRIBUTE_KEYS, clause, "order_by clause")
    entity, key = identifier.entity, identifier.key
    if entity == ATTRIBUTE:
        if key == "name":
            entity, key = TAG, TRACE_NAME_TAG
        elif key == "run_id":
            entity, key = METADATA, SOURCE_RUN_METADATA
        else:
            key = _NUMERIC_KEYS.get(key, key)
            getter = _ATTRIBUTE_GETTERS[key]
            if key == "experiment_id":
                return OrderKey(entity, key, ascending, lambda t: _numeric_id(getter(t)))
            return OrderKey(entity, key, ascending, getter)
    if entity == TAG:
        return OrderKey(entity, key, ascending, lambda t: _tag(t, key))
    if entity == METADATA:
        return OrderKey(entity, key, ascending, lambda t: _metadata(t, key))
    raise SearchFilterError(
        f"Invalid order_by clause {clause!r}: cannot order by {tokens[0].text!r}; order by an "
        "attribute, tags.<key> or metadata.<key>"
    )


def _numeric_id(value: str) -> tuple[int, Any]:
    # Experiment ids are integers in MLflow's store; keep "10" after "9".
    return (0, int(value)) if value.isdigit() else (1, value)


def sort_traces(traces: list[Trace], keys: list[OrderKey]) -> list[Trace]:
    """Traces ordered by `keys`; a trace lacking a key's value goes after those having it."""
    values = [key_values(t, keys) for t in traces]
    return [traces[i] for i in order_of(values, keys)]


def key_values(trace: Trace, keys: list[OrderKey]) -> tuple[Any, ...]:
    """What the trace is ordered by: its value of each key."""
    return tuple(key.value(trace) for key in keys)


def order_of(values: list[tuple[Any, ...]], keys: list[OrderKey]) -> list[int]:
    """Positions of traces whose `key_values` are `values`, in the order `sort_traces` puts
    them: for traces read elsewhere, by what was read of them there."""
    ordered = list(range(len(values)))
    # Stable sorts from the least significant key up give the combined order.
    for number in reversed(range(len(keys))):
        present = [i for i in ordered if values[i][number] is not None]
        missing = [i for i in ordered if values[i][number] is None]
        present.sort(key=lambda i: values[i][number], reverse=not keys[number].ascending)
        ordered = present + missing
    return ordered


def matches_all(clauses: list[Clause]) -> Predicate:
    """One test for all clauses (True when there are none)."""
    tests = [c.test for c in clauses]
    if not tests:
        return lambda t: True
    if len(tests) == 1:
        return tests[0]
    return lambda t: all(test(t) for test in tests)


def search_clauses(
    filter_string: str | None, run_id: str | None, model_id: str | None
) -> list[Clause]:
    """The filter's clauses, with MLflow's checks of how it combines with run_id and model_id."""
    if model_id is not None and filter_string:
        raise ValueError(
            "Cannot specify both `model_id` or `filter_string` in the search_traces call."
        )
    if run_id is not None and filter_string and SOURCE_RUN_METADATA in filter_string:
        raise ValueError(
            "You cannot filter by run_id when it is already part of the filter string. "
            f"Please remove the {SOURCE_RUN_METADATA} filter from the filter string and try "
            "again."
        )
    if model_id is not None:
        # A clause of its own rather than a formatted filter, so any id is taken literally.
        return [
            Clause(
                METADATA,
                MODEL_ID_METADATA,
                "=",
                model_id,
                lambda t: t.info.trace_metadata.get(MODEL_ID_METADATA) == model_id,
            )
        ]
    return parse_filter(filter_string)
