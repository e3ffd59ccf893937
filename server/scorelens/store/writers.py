"""Who writes to the store, and whether they still can.

A process killed outright (SIGKILL, a crash, a power cut) cannot mark its run finished or delete
its temp file. Runs and temp files therefore carry their writer's process id (and, for runs, the
host and the process's start time), so any later reader can tell that the writer is gone.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import socket
from typing import Any

TEMP_SUFFIX = ".part"
_TEMP_NAME = re.compile(r"\.tmp-(\d+)-([0-9a-f]{8})-.*\.part\Z")


@functools.cache
def host_name() -> str:
    return socket.gethostname()


@functools.cache
def _host_token() -> str:
    # Temp file names carry this, so a store shared with another host (or container, which has
    # its own process ids) never has a live writer's temp file taken for a dead one.
    return hashlib.sha1(host_name().encode()).hexdigest()[:8]


def temp_prefix() -> str:
    return f".tmp-{os.getpid()}-{_host_token()}-"


def process_start(pid: int) -> str | None:
    """When the process started (Linux clock ticks since boot), or None where unknown."""
    found = _proc_stat(pid)
    return None if found is None else found[1]


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) from /proc/<pid>/stat, or None where there is no such file."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; what follows the last ")"
    # is plain: field 3, the state, onwards. The start time is field 22.
    fields = raw[raw.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]


def process_exists(pid: int, start: str | None = None) -> bool:
    """Whether process `pid` is alive on this host (and, given `start`, is the same process).

    Errs on the side of alive: a live writer must never be taken for a dead one.
    """
    if pid <= 0:
        return True  # not a process id we wrote; signalling it would mean a process group
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass  # PermissionError: another user's process, which exists
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, started = stat
    if state in ("Z", "X"):
        return False  # exited; its parent has not collected it yet
    # A different start time means the id was reused by a later process.
    return start is None or started == start


def this_writer() -> dict[str, Any]:
    pid = os.getpid()
    return {"host": host_name(), "pid": pid, "start": process_start(pid)}


def writer_is_gone(writer: Any) -> bool:
    """True only when `writer` (from `this_writer`) ran on this host and has exited."""
    if not isinstance(writer, dict) or writer.get("host") != host_name():
        return False
    pid = writer.get("pid")
    if not isinstance(pid, int):
        return False
    start = writer.get("start")
    return not process_exists(pid, start if isinstance(start, str) else None)


def remove_stale_temp_files(folder: str) -> int:
    """Delete the temp files that writers on this host which have since died left in `folder`."""
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    removed = 0
    own = os.getpid()
    for name in names:
        if not name.endswith(TEMP_SUFFIX):
            continue
        match = _TEMP_NAME.match(name)
        if match is None or match.group(2) != _host_token():
            continue
        pid = int(match.group(1))
        if pid == own or process_exists(pid):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, name))
            removed += 1
    return removed
