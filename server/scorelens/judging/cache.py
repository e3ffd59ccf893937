"""The judge-call cache: a model's answer to a request, kept in the store to be replayed.

    <store>/judge_cache/<2 hex>/<key>.json     {"status", "contentType", "body"}

The key is a hash of the HTTP method, the URL (so the base URL and the API: chat completions or
responses) and the request body with its keys sorted (model, messages or input, tools,
response format, temperature and every other parameter). Headers are not part of it, so the
API key never is. Each answer is one file written atomically, so any number of processes can
fill and read the cache at once; the same request answered twice leaves one of the two.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass

from scorelens.store.atomic_file import write_atomically

CACHE_DIR = "judge_cache"
GENERATION_FILE = "generation"
CACHE_ENV = "SCORELENS_JUDGE_CACHE"


def judge_cache_enabled(setting: bool | None = None) -> bool:
    """On unless turned off: by the caller (a flag, a setting) or SCORELENS_JUDGE_CACHE=off."""
    if setting is not None:
        return setting
    return os.environ.get(CACHE_ENV, "").strip().lower() not in ("off", "0", "false", "no")


def request_key(method: str, url: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode("utf-8", errors="replace")
    return hashlib.sha256(f"{method}\n{url}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    status: int
    content_type: str
    body: bytes


class JudgeCache:
    def __init__(self, store_root: str) -> None:
        self.folder = os.path.join(os.path.abspath(store_root), CACHE_DIR)
        # Which filling of the cache this is, read once: what a process remembers of the cache
        # (judging/sdk_memo.py) holds for this generation only, and a clear starts a new one.
        self.generation = self._read_generation()

    def _path(self, key: str) -> str:
        return os.path.join(self.folder, key[:2], f"{key}.json")

    def _read_generation(self) -> str | None:
        try:
            with open(os.path.join(self.folder, GENERATION_FILE), encoding="utf-8") as handle:
                return handle.read().strip() or None
        except OSError:
            return None

    def _start_generation(self) -> None:
        # The first writer of a new cache folder names its generation; the others find it.
        try:
            handle = os.open(
                os.path.join(self.folder, GENERATION_FILE), os.O_WRONLY | os.O_CREAT | os.O_EXCL
            )
        except FileExistsError:
            return
        with os.fdopen(handle, "w", encoding="utf-8") as marker:
            marker.write(uuid.uuid4().hex)

    def get(self, key: str) -> CachedAnswer | None:
        try:
            with open(self._path(key), encoding="utf-8") as handle:
                entry = json.load(handle)
            return CachedAnswer(
                int(entry["status"]), str(entry["contentType"]), entry["body"].encode()
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # not there, or unreadable: ask the model

    def put(self, key: str, answer: CachedAnswer) -> None:
        entry = {
            "status": answer.status,
            "contentType": answer.content_type,
            "body": answer.body.decode("utf-8", errors="replace"),
        }
        try:
            os.makedirs(os.path.dirname(self._path(key)), exist_ok=True)
            if self.generation is None:  # a cache begun by this run: join its generation
                self._start_generation()
                self.generation = self._read_generation()
            write_atomically(self._path(key), json.dumps(entry).encode())
        except OSError:
            # The scorer has its answer either way; a full disk, or a clear while scoring,
            # only means this one is asked again next time.
            pass

    def count(self) -> int:
        return _answers_in(self.folder)

    def clear(self) -> int:
        """Forget every cached answer; returns how many there were.

        The folder is moved aside before it is deleted, so writers busy meanwhile start a new
        one rather than writing into a folder being deleted, and any failure to delete raises
        instead of leaving answers behind that were reported gone.
        """
        aside = f"{self.folder}.cleared-{uuid.uuid4().hex}"
        try:
            os.rename(self.folder, aside)
        except FileNotFoundError:
            return 0
        count = _answers_in(aside)
        shutil.rmtree(aside)
        return count


def _answers_in(folder: str) -> int:
    if not os.path.isdir(folder):
        return 0
    return sum(1 for _, _, names in os.walk(folder) for n in names if n.endswith(".json"))
