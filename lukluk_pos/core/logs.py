"""Where the server writes what a technician reads: one line per request (method, path, status, duration,
the request's id) and every error with that id. Under systemd to stderr, which journald keeps and stamps
(``journalctl -u lukluk``); elsewhere to ``instance/logs/lukluk.log``, rotated at 1 MB, five kept."""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from . import private

FORMAT_FILE = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMAT_JOURNAL = "%(levelname)s %(name)s: %(message)s"  # journald adds the time


def configure(instance_path: str, environ: Mapping[str, str] | None = None) -> logging.Handler:
    """Set the server's logging up once; returns the handler it added (tests remove it)."""
    environ = os.environ if environ is None else environ
    if environ.get("JOURNAL_STREAM") or environ.get("INVOCATION_ID"):
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT_JOURNAL))
    else:
        folder = Path(instance_path) / "logs"
        folder.mkdir(mode=0o700, exist_ok=True)
        path = private.new_file(folder / "lukluk.log")  # 0600, like everything in the instance folder
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT_FILE))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler
