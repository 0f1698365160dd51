"""Hot backups of the SQLite database with SQLite's online backup API (never a file copy).

A backup is consistent even while the till is selling: SQLite copies the pages under its own locks.
Backups go to ``instance/backups/`` and older ones are pruned after a configurable number of days.
PostgreSQL installations back up with ``pg_dump`` instead (see the README).
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from ..extensions import db
from . import private, process

PAGES_PER_STEP = 256
#: The outcome of the last backup taken after a close, read by the manager's dashboard.
STATUS_FILE = "last-backup.json"
#: A half-written copy untouched this long belongs to a backup that died (a live one writes at every step).
PARTIAL_AGE = timedelta(minutes=10)
#: One backup at a time (two closes in one second would name the same file).
_ONE_AT_A_TIME = threading.Lock()

log = logging.getLogger(__name__)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (in the shop's language)."""


def sqlite_path() -> Path:
    """The live database file, or BackupError when the app does not run on SQLite."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BackupError("Ta instalacja używa PostgreSQL: kopię robi pg_dump (zob. README).")
    return Path(url.database).resolve()


def backup_dir(instance_path: str) -> Path:
    """``instance/backups``, 0700 whatever the umask (``private.py``)."""
    return private.folder(Path(instance_path) / "backups")


def integrity(path: Path) -> str:
    """SQLite's own check of a database file: ``ok`` or the problems it found."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, progress) -> None:
    def step(_status, remaining, total):
        if progress and total:
            progress(total - remaining, total)

    source.backup(target, pages=PAGES_PER_STEP, progress=step)


def make_backup(instance_path: str, *, keep_days: int, progress=None, now: datetime | None = None,
                source_path: Path | None = None) -> Path:
    """Copy the live database into ``instance/backups/lukluk-YYYYmmdd-HHMMSS.db``, check it, prune old ones."""
    source_path = source_path or sqlite_path()
    now = now or datetime.now()
    target = backup_dir(instance_path) / f"lukluk-{now:%Y%m%d-%H%M%S}.db"
    partial = target.with_suffix(".part")
    private.new_file(partial)  # 0600 before a byte is copied into it
    source, copy = sqlite3.connect(source_path), sqlite3.connect(partial)
    try:
        _copy(source, copy, progress)
        copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
    finally:
        source.close()
        copy.close()
    result = integrity(partial)
    if result != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"Kopia nie przeszła sprawdzenia: {result}")
    partial.rename(target)
    prune(instance_path, keep_days=keep_days, now=now)
    return target


def read_status(instance_path: str) -> dict | None:
    """The last backup after a close: ``{"day", "state": running|ok|failed, "file"|"error", "at"}``."""
    try:
        return json.loads((Path(instance_path) / "backups" / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None


def _write_status(instance_path: str, **status) -> None:
    folder = Path(instance_path) / "backups"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / (STATUS_FILE + ".part")
        partial.write_text(json.dumps(status | {"at": datetime.now().isoformat(timespec="seconds")}))
        os.replace(partial, folder / STATUS_FILE)
    except OSError as exc:  # the folder itself is the problem: the log is all that is left
        log.error("Cannot record the backup's outcome in %s: %s", folder, exc)


def backup_in_background(instance_path: str, *, keep_days: int, day) -> threading.Thread:
    """After a day's close is committed: copy and check the database on a thread of its own, so the person
    closing gets their answer at once (on a five-year shop the check alone takes seconds). The day is
    already safe in the database; the outcome goes to ``backups/last-backup.json`` for the dashboard,
    and a failure to the log. Not a daemon: a server stopping waits for the copy to finish."""
    source = sqlite_path()
    # The process doing it is written down: a status "running" whose process is gone is seen at the next
    # start (``recover``), which tidies and takes the copy again.
    _write_status(instance_path, day=day.isoformat(), state="running", process=process.identity())

    def run():
        with _ONE_AT_A_TIME:
            try:
                path = make_backup(instance_path, keep_days=keep_days, source_path=source)
            except Exception as exc:  # noqa: BLE001 — whatever stops it, the dashboard must not say "running"
                log.exception("Backup after closing %s failed", day)
                _write_status(instance_path, day=day.isoformat(), state="failed", error=str(exc)[:300])
            else:
                _write_status(instance_path, day=day.isoformat(), state="ok", file=path.name)

    thread = threading.Thread(target=run, name=f"backup-after-close-{day}")
    thread.start()
    return thread


def remove_partials(instance_path: str, *, older_than: timedelta | None = PARTIAL_AGE) -> list[Path]:
    """Half-written copies (``.part``) left by a backup that never finished: a copy being written is touched
    at every step, so one untouched for ``older_than`` is dead (None: every one, its process is known gone)."""
    limit = None if older_than is None else time.time() - older_than.total_seconds()
    removed = []
    for partial in backup_dir(instance_path).glob("lukluk-*.part"):
        try:
            if limit is None or partial.stat().st_mtime < limit:
                partial.unlink()
                removed.append(partial)
        except FileNotFoundError:
            pass
    return removed


def recover(instance_path: str, *, keep_days: int) -> threading.Thread | None:
    """At the server's start: a backup that says "running" while its process is gone (the server was
    killed or the power cut during the copy) is taken again, and half-written copies are removed. Returns
    the retried backup's thread, if one was started."""
    last = read_status(instance_path) or {}
    stale = last.get("state") == "running" and process.gone(last.get("process", ""))
    remove_partials(instance_path, older_than=None if stale else PARTIAL_AGE)
    if not stale:
        return None
    log.warning("The backup after closing %s did not finish (its process is gone): taking it again", last.get("day"))
    try:
        day = datetime.fromisoformat(str(last.get("day"))).date()
        return backup_in_background(instance_path, keep_days=keep_days, day=day)
    except (BackupError, ValueError) as exc:
        _write_status(instance_path, day=str(last.get("day", "")), state="failed", error=str(exc)[:300])
        return None


def taken(instance_path: str) -> list[tuple[Path, datetime]]:
    """The backups kept, oldest first, each with when it was taken (read from its name)."""
    found = []
    for path in sorted(backup_dir(instance_path).glob("lukluk-*.db")):
        try:
            found.append((path, datetime.strptime(path.stem, "lukluk-%Y%m%d-%H%M%S")))
        except ValueError:
            continue
    return found


def prune(instance_path: str, *, keep_days: int, now: datetime | None = None) -> list[Path]:
    """Remove backups older than ``keep_days`` (the newest one always stays), and dead half-written copies."""
    remove_partials(instance_path)
    limit = (now or datetime.now()) - timedelta(days=keep_days)
    removed = []
    for path, at in taken(instance_path)[:-1]:
        if at < limit:
            path.unlink()
            removed.append(path)
    return removed


def refuse_restore_while(app, reason) -> None:
    """Hook a check into ``restore``: ``reason()`` says why a restore would lose work now (a basket open at
    a till, a till not yet counted), or "". The areas that know register theirs when the app is created, so
    the ground floor asks without importing them."""
    app.extensions.setdefault("lukluk_restore_checks", []).append(reason)


def _why_not_restore() -> str:
    from flask import current_app

    for reason in current_app.extensions.get("lukluk_restore_checks", []):
        said = reason()
        if said:
            return said
    return ""


def restore(file: Path, *, force: bool, progress=None) -> None:
    """Replace the live database's contents with a backup's (online, through the backup API).

    Refused while a till is open (a session not yet counted) or holds a basket, unless forced; the file must pass integrity_check and be
    a LukLuk database."""
    target_path = sqlite_path()
    file = Path(file).resolve()
    if not file.is_file():
        raise BackupError(f"Nie ma pliku {file}.")
    try:
        result = integrity(file)
        check = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            check.execute("SELECT version_num FROM alembic_version").fetchone()
            check.execute("SELECT count(*) FROM sale").fetchone()
        finally:
            check.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"To nie jest kopia bazy LukLuk: {exc}") from None
    if result != "ok":
        raise BackupError(f"Plik nie przeszedł sprawdzenia: {result}")
    refused = "" if force else _why_not_restore()
    if refused:
        raise BackupError(refused)
    db.session.remove()
    db.engine.dispose()
    source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    live = sqlite3.connect(target_path, timeout=30)
    try:
        for _attempt in range(5):
            try:
                _copy(source, live, progress)
                break
            except sqlite3.OperationalError:  # a writer held the lock; the backup API starts again
                time.sleep(1)
        else:
            raise BackupError("Baza jest zajęta; spróbuj ponownie.")
    finally:
        source.close()
        live.close()
