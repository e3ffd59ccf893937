"""TinyDB over atomically written JSON files.

Each `open_db` session reads the file once, keeps every change in TinyDB's CachingMiddleware and
writes the file once, atomically, when the session closes. TinyDB's own JSONStorage rewrites the
file in place on every insert, which is slow and corrupts under concurrent writers.

Files are strict JSON: a NaN or infinity (say, a scorer's float('nan')) is written as null and
reads back as None.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from scorelens.entities.trace import dumps_json
from scorelens.store.atomic_file import write_atomically
from scorelens.store.errors import StoreCorruptError


class AtomicJSONStorage(Storage):
    def __init__(self, path: str) -> None:
        self.path = path

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            return None
        if not raw.strip():
            # We never write an empty file, so an empty one was truncated by something else.
            raise StoreCorruptError(self.path, "the file is empty")
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StoreCorruptError(self.path, f"invalid JSON: {exc}") from None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StoreCorruptError(self.path, "not a TinyDB document file")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        payload = dumps_json(data, separators=(",", ":"))
        write_atomically(self.path, payload.encode("utf-8"))

    def close(self) -> None:
        pass


@contextmanager
def open_db(path: str) -> Iterator[TinyDB]:
    """A TinyDB session on `path`; changes land in one atomic write when the block ends cleanly."""
    middleware = CachingMiddleware(AtomicJSONStorage)  # type: ignore[no-untyped-call]
    # Never flush part-way: the file must go from the old state to the new one in one step.
    middleware.WRITE_CACHE_SIZE = 2**62
    db = TinyDB(path, storage=middleware)
    try:
        yield db
    except BaseException:
        # Drop the cached changes: an error inside the session must not write half a change.
        middleware._cache_modified_count = 0
        raise
    finally:
        db.close()


def read_documents(path: str, table: str) -> list[dict[str, Any]]:
    """`read_table` without TinyDB's copy of every document: for big files only read."""
    data = AtomicJSONStorage(path).read()
    if data is None:
        return []
    docs = list(data.get(table, {}).values())
    if not all(isinstance(doc, dict) for doc in docs):
        raise StoreCorruptError(path, "not a TinyDB document file: a document is not an object")
    return docs


def iter_documents(path: str, table: str) -> Iterator[dict[str, Any]]:
    """The documents of one table, parsed one at a time: a file of 100,000 documents is never
    all in memory as objects while the caller keeps only part of each. Nothing when the file
    does not exist."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreCorruptError(path, f"invalid JSON: {exc}") from None
    del raw
    if not text.strip():
        raise StoreCorruptError(path, "the file is empty")
    decoder = json.JSONDecoder()
    try:
        at = _expect(text, 0, "{")
        while text[at] != "}":
            name, at = decoder.raw_decode(text, at)
            if not isinstance(name, str):
                raise json.JSONDecodeError("a key is not a string", text, at)
            at = _expect(text, at, ":")
            if name != table:
                _, at = decoder.raw_decode(text, at)  # another table, read and left
            else:
                at = _expect(text, at, "{")
                while text[at] != "}":
                    _, at = decoder.raw_decode(text, at)  # the document's id
                    document, at = decoder.raw_decode(text, _expect(text, at, ":"))
                    if not isinstance(document, dict):
                        raise StoreCorruptError(path, "not a TinyDB document file")
                    yield document
                    at = _next(text, at, "}")
                at += 1  # past the table's closing brace
            at = _next(text, at, "}")
    except (json.JSONDecodeError, IndexError) as exc:
        raise StoreCorruptError(path, f"invalid JSON: {exc}") from None


def _skip(text: str, at: int) -> int:
    """The place of the first character at or after `at` that is not white space."""
    while text[at] in " \t\r\n":
        at += 1
    return at


def _expect(text: str, at: int, char: str) -> int:
    """Past `char`, which must come next (after white space), and past white space after it."""
    at = _skip(text, at)
    if text[at] != char:
        raise json.JSONDecodeError(f"expected {char!r}", text, at)
    return _skip(text, at + 1)


def _next(text: str, at: int, closing: str) -> int:
    """Past a "," between members, or at `closing` when the object ends here."""
    at = _skip(text, at)
    if text[at] == ",":
        return _skip(text, at + 1)
    if text[at] != closing:
        raise json.JSONDecodeError(f"expected ',' or {closing!r}", text, at)
    return at


def read_table(path: str, table: str) -> list[dict[str, Any]]:
    """All documents of one table, or [] when the file does not exist yet."""
    if not os.path.exists(path):
        return []
    with open_db(path) as db:
        try:
            return list(db.table(table).all())
        except (TypeError, ValueError, AttributeError) as exc:
            # Valid JSON, but a document is not an object or its id is not a number.
            raise StoreCorruptError(path, f"not a TinyDB document file: {exc}") from None
