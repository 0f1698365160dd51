"""The shop's data readable by the server's user only, whatever the umask.

The instance folder (database, secret keys, backups, the printers' tokens) is 0700, the SQLite database
and its WAL and shared-memory files are 0600, the backups folder 0700 and each backup 0600. New files are
made with these modes; an installation made before (0755/0644) is tightened at every start.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER = 0o700
FILE = 0o600
#: SQLite's files beside a database.
COMPANIONS = ("-wal", "-shm", "-journal")


def folder(path: Path) -> Path:
    """Make ``path`` (and any missing parents, as the umask says) and tighten it to 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER)
    _chmod(path, FOLDER)
    return path


def new_file(path: Path) -> Path:
    """Create an empty file at 0600 (a SQLite database may start empty); an existing one is tightened."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE))
    except FileExistsError:
        _chmod(path, FILE)
    return path


def key_file(path: Path, make) -> bytes:
    """A secret kept in a file of its own (0600): made once with ``make()`` (bytes), then read; two
    processes starting together make it once."""
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE)
        except FileExistsError:  # another process made it a moment ago
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(make())
                handle.flush()
                os.fsync(handle.fileno())
    return path.read_bytes().strip()


def database(path: Path) -> None:
    """The live SQLite database: created 0600 if it is not there yet, tightened with its companions (SQLite
    gives a new WAL the database file's own mode)."""
    if not path.parent.exists():
        folder(path.parent)
    new_file(path)
    for suffix in COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            _chmod(companion, FILE)


def tighten(instance_path: Path) -> None:
    """At start: the instance folder 0700, its files 0600, its backups folder 0700 with its files 0600."""
    folder(instance_path)
    for entry in instance_path.iterdir():
        if entry.is_symlink():
            continue
        if entry.is_dir():
            _chmod(entry, FOLDER)
            if entry.name == "backups":
                for backup in entry.iterdir():
                    if backup.is_file() and not backup.is_symlink():
                        _chmod(backup, FILE)
        elif entry.is_file():
            _chmod(entry, FILE)


def _chmod(path: Path, mode: int) -> None:
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
    except OSError as exc:  # not ours (a shared folder, another user's file): said, not fatal
        log.warning("Cannot make %s private (%o): %s", path, mode, exc)
