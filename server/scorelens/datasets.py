"""Loading eval datasets from JSON, JSONL or CSV files.

Each record is `{"inputs": {...}, "expectations": {...}?, "outputs": ...?}`; `trace_id` and
`label`, which `scorelens labels export` writes, are allowed too (and ignored by `generate`). In
CSV, `inputs`, `expectations` and `label` columns hold JSON objects, or `inputs.<name>` /
`expectations.<name>` columns hold single values. Errors name the file and the 1-based row (or
line) of the bad record.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any

ALLOWED_KEYS = ("inputs", "expectations", "outputs", "trace_id", "label")
# CSV columns whose cells are JSON text.
_JSON_COLUMNS = ("inputs", "expectations", "label")


class DatasetError(ValueError):
    pass


def load_dataset(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    path = os.fspath(path)
    records = read_records(path, csv_column="inputs")
    return [_validate(path, where, record) for where, record in records]


def read_records(path: str, csv_column: str) -> list[tuple[str, Any]]:
    """The file's records, unchecked, each with where it is (`row 2`, `line 3`): for readers
    with records of their own shape. A CSV file must have `csv_column` (or dotted columns of
    it); an empty file is an error."""
    if not os.path.exists(path):
        raise DatasetError(f"{path}: no such dataset file")
    if os.path.isdir(path):
        raise DatasetError(f"{path}: is a directory, not a dataset file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".json":
        records = _read_json(path)
    elif suffix in (".jsonl", ".ndjson"):
        records = _read_jsonl(path)
    elif suffix == ".csv":
        records = _read_csv(path, csv_column)
    else:
        raise DatasetError(
            f"{path}: unsupported dataset type {suffix or '(none)'}; use .json, .jsonl or .csv"
        )
    if not records:
        raise DatasetError(f"{path}: the dataset has no records")
    return records


def _read_text(path: str, encoding: str = "utf-8", newline: str | None = None) -> str:
    try:
        with open(path, encoding=encoding, newline=newline) as handle:
            return handle.read()
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read the dataset: {exc.strerror or exc}") from None


def _read_json(path: str) -> list[tuple[str, Any]]:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, list):
        raise DatasetError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    return [(f"row {i}", record) for i, record in enumerate(data, start=1)]


def _read_jsonl(path: str) -> list[tuple[str, Any]]:
    records = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((f"line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}: line {number}: invalid JSON: {exc.msg}") from None
    return records


def _read_csv(path: str, required: str) -> list[tuple[str, Any]]:
    # The csv module must see the raw line ends (newline=""): a quoted cell may hold a line break,
    # which splitting the text into lines first would lose. utf-8-sig drops the byte-order mark
    # spreadsheet programs put before the header.
    text = _read_text(path, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = reader.fieldnames or []
    if not any(f == required or f.startswith(required + ".") for f in fields):
        article = "an" if required[0] in "aeiou" else "a"
        raise DatasetError(
            f"{path}: needs {article} '{required}' column or '{required}.<name>' columns"
        )
    records = []
    for number, row in enumerate(reader, start=2):
        record: dict[str, Any] = {}
        for column, cell in row.items():
            if column is None:
                raise DatasetError(f"{path}: row {number}: more cells than header columns")
            key, _, sub = column.partition(".")
            if sub:
                if cell:
                    record.setdefault(key, {})[sub] = cell
                continue
            if cell is None or cell == "":
                continue
            if key in _JSON_COLUMNS:
                try:
                    record[key] = json.loads(cell)
                except json.JSONDecodeError as exc:
                    raise DatasetError(
                        f"{path}: row {number}: column '{key}' is not valid JSON: {exc.msg}"
                    ) from None
            else:
                record[key] = cell
        records.append((f"row {number}", record))
    return records


def _validate(path: str, where: str, record: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise DatasetError(f"{path}: {where}: expected an object, got {type(record).__name__}")
    unknown = [k for k in record if k not in ALLOWED_KEYS]
    if unknown:
        raise DatasetError(
            f"{path}: {where}: unknown key '{unknown[0]}' (a record has {', '.join(ALLOWED_KEYS)})"
        )
    if "inputs" not in record:
        raise DatasetError(f"{path}: {where}: missing 'inputs'")
    if not isinstance(record["inputs"], dict):
        raise DatasetError(
            f"{path}: {where}: 'inputs' must be an object of app arguments, "
            f"got {type(record['inputs']).__name__}"
        )
    if not isinstance(record.get("expectations", {}), dict):
        raise DatasetError(
            f"{path}: {where}: 'expectations' must be an object, "
            f"got {type(record['expectations']).__name__}"
        )
    return record
