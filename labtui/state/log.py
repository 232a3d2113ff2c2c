"""labtui's own log: tracebacks of internal errors, kept where a learner can send them.

Learners see one readable line; the traceback goes to ``labtui.log`` in the data
directory so an instructor or a maintainer can read what really happened.
"""

from __future__ import annotations

import logging
import logging.handlers
import threading
from pathlib import Path

from labtui.state import paths

_lock = threading.Lock()


def log_file() -> Path:
    return paths.data_dir() / "labtui.log"


def internal_error(message: str) -> Path:
    """Log ``message`` with the traceback being handled; returns where it was written.

    Opens the file for each record, so a data directory changed at run time
    (tests, ``LABTUI_DATA_DIR``) is honoured and no handle is held.
    """
    path = log_file()
    record = logging.LogRecord("labtui", logging.ERROR, __file__, 0, message, None, None)
    import sys

    record.exc_info = sys.exc_info()
    handler: logging.Handler
    with _lock:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=1_000_000, backupCount=1, encoding="utf-8"
            )
        except OSError:
            return path
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        try:
            handler.emit(record)
        finally:
            handler.close()
    return path
