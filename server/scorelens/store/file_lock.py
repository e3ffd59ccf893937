"""An inter-process lock (flock on a side file) so writers wait instead of corrupting."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from types import TracebackType

from scorelens.store.errors import StoreLockTimeout

# flock is per open file description, so two threads of one process would not exclude each
# other through it; a process-wide lock per path covers that case.
_thread_locks: dict[str, threading.RLock] = {}
_thread_locks_guard = threading.Lock()

LOCKS_DIR = "locks"


def store_lock(store_root: str, name: str) -> FileLock:
    """The lock named `name` of the store at `store_root`: every writer of a store file takes
    the one named after that file, so the store and the language server exclude each other."""
    folder = os.path.join(store_root, LOCKS_DIR)
    os.makedirs(folder, exist_ok=True)
    return FileLock(os.path.join(folder, f"{name}.lock"))


class FileLock:
    def __init__(self, path: str, timeout: float = 60.0) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None
        with _thread_locks_guard:
            self._thread_lock = _thread_locks.setdefault(path, threading.RLock())

    def __enter__(self) -> FileLock:
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise StoreLockTimeout(self.path, self.timeout)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise StoreLockTimeout(self.path, self.timeout) from None
                    time.sleep(0.005)
            self._fd = fd
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._thread_lock.release()
