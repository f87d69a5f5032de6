"""File permissions for files written through a temporary file (no Qt, no torch)."""

from __future__ import annotations

import os
import threading

_lock = threading.Lock()


def usual_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the process's umask."""
    with _lock:  # reading the umask means setting it; no other thread may see 0 meanwhile
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def give_usual_mode(fd: int) -> None:
    """Give a file made by :func:`tempfile.mkstemp` (mode 0o600) the usual mode, so a saved
    model or session can be read by whoever may read the user's other files."""
    if hasattr(os, "fchmod"):
        try:
            os.fchmod(fd, usual_mode())
        except OSError:
            pass  # a file system without permissions: the file is still written
