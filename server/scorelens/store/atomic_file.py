"""Whole-file writes that are all-or-nothing: a crash mid-write leaves the old file intact."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable

from scorelens.store.writers import TEMP_SUFFIX, remove_stale_temp_files, temp_prefix

# Folders this process has already cleared of dead writers' temp files: once each is enough,
# and it keeps a directory listing off every write.
_swept: set[str] = set()


def write_atomically(path: str, data: bytes | Iterable[bytes]) -> None:
    """Write to a temp file in the same folder, fsync it, rename over `path`, fsync the folder.

    `data` may come in pieces, so a big file is never held whole in memory. The temp file's
    name holds this process's id, so a later writer can remove it if this process is killed
    before the rename.
    """
    folder = os.path.dirname(path) or "."
    if folder not in _swept:
        _swept.add(folder)
        remove_stale_temp_files(folder)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                for piece in data:
                    handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    # Makes the rename itself durable; some filesystems refuse fsync on a directory.
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
