"""Hot backups of the database: SQLite's online backup API (never a file copy), or ``pg_dump`` on PostgreSQL.

A backup is consistent even while the till is selling: SQLite copies the pages under its own locks, and
pg_dump reads one snapshot. Each is checked before it counts (SQLite's integrity_check; pg_restore reads
the dump's whole table of contents). Backups go to ``instance/backups/`` and older ones are pruned after
a configurable number of days; then they are sent off the machine (``offsite.py``) to the places the
admin set. A restore always takes a backup of the database it replaces first.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from ..extensions import db
from . import offsite, private, process

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
                source_path: Path | None = None, url=None) -> Path:
    """Back up the live database into ``instance/backups/lukluk-YYYYmmdd-HHMMSS.db`` (SQLite) or ``.dump``
    (PostgreSQL, ``url``), check it, prune old ones."""
    now = _free_name(instance_path, now or datetime.now())
    if source_path is None and url is not None and url.get_backend_name() == "postgresql":
        return _pg_backup(instance_path, url, keep_days=keep_days, now=now)
    source_path = source_path or sqlite_path()
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


def _free_name(instance_path: str, now: datetime) -> datetime:
    """The moment a new backup is named by, moved on a second while a backup of that second exists (the
    copy a restore takes of the database it replaces may come in the same second as the one restored)."""
    folder = backup_dir(instance_path)
    while any((folder / f"lukluk-{now:%Y%m%d-%H%M%S}{suffix}").exists() for suffix in (".db", ".dump")):
        now += timedelta(seconds=1)
    return now


def _libpq(url) -> tuple[list[str], dict]:
    """pg_dump's and pg_restore's connection arguments for a SQLAlchemy URL: the password in the
    environment (never on the command line, where ``ps`` shows it)."""
    env = os.environ.copy()
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return ["--dbname", plain], env


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"Brak programu {name}: zainstaluj pakiet postgresql-client (instalator robi to sam).")
    return found


def _pg_backup(instance_path: str, url, *, keep_days: int, now: datetime) -> Path:
    target = backup_dir(instance_path) / f"lukluk-{now:%Y%m%d-%H%M%S}.dump"
    partial = private.new_file(target.with_suffix(".part"))
    connect, env = _libpq(url)
    done = subprocess.run([_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                           "--file", str(partial), *connect], env=env, capture_output=True, check=False)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError("pg_dump nie zrobił kopii: " + done.stderr.decode("utf-8", "replace").strip()[:300])
    listed = subprocess.run([_program("pg_restore"), "--list", str(partial)], capture_output=True, check=False)
    contents = listed.stdout.decode("utf-8", "replace")
    if listed.returncode != 0 or "TABLE DATA public sale " not in contents \
            or "TABLE DATA public alembic_version " not in contents:
        partial.unlink(missing_ok=True)
        raise BackupError("Kopia nie przeszła sprawdzenia (pg_restore --list): "
                          + listed.stderr.decode("utf-8", "replace").strip()[:300])
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


def backup_in_background(instance_path: str, *, keep_days: int, day, url=None) -> threading.Thread:
    """After a day's close is committed: back up and check the database on a thread of its own, then send
    the copy off the machine (``offsite.send``), so the person closing gets their answer at once (on a
    five-year shop the check alone takes seconds). The day is already safe in the database; the outcome
    goes to ``backups/last-backup.json`` (and ``last-offsite.json``) for the dashboard, and a failure to
    the log. Not a daemon: a server stopping waits for the copy to finish. ``url``: the database's (the
    app's engine), PostgreSQL backs up with pg_dump."""
    url = url if url is not None else db.engine.url
    source = None if url.get_backend_name() == "postgresql" else sqlite_path()
    # The process doing it is written down: a status "running" whose process is gone is seen at the next
    # start (``recover``), which tidies and takes the copy again.
    _write_status(instance_path, day=day.isoformat(), state="running", process=process.identity())

    def run():
        with _ONE_AT_A_TIME:
            try:
                path = make_backup(instance_path, keep_days=keep_days, source_path=source, url=url)
            except Exception as exc:  # noqa: BLE001 — whatever stops it, the dashboard must not say "running"
                log.exception("Backup after closing %s failed", day)
                _write_status(instance_path, day=day.isoformat(), state="failed", error=str(exc)[:300])
                return
            _write_status(instance_path, day=day.isoformat(), state="ok", file=path.name)
            try:
                offsite.send(instance_path, path)
            except Exception:  # noqa: BLE001 — the local backup stands; the off-machine status says the rest
                log.exception("Off-machine copy after closing %s failed", day)

    thread = threading.Thread(target=run, name=f"backup-after-close-{day}")
    thread.start()
    return thread


def take(instance_path: str, *, keep_days: int, url, progress=None, send: bool = True) -> tuple[Path, object]:
    """A backup now (the ``backup`` command, the nightly timer, before a restore or an upgrade), one at a
    time with the close's, and sent off the machine with ``send``: the file and the off-machine status
    (None when not sent)."""
    with _ONE_AT_A_TIME:
        path = make_backup(instance_path, keep_days=keep_days, progress=progress, url=url)
        return path, (offsite.send(instance_path, path) if send and offsite.read_settings(instance_path).places()
                      else None)


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
    for path in sorted([*backup_dir(instance_path).glob("lukluk-*.db"),
                        *backup_dir(instance_path).glob("lukluk-*.dump")]):
        try:
            found.append((path, datetime.strptime(path.stem, "lukluk-%Y%m%d-%H%M%S")))
        except ValueError:
            continue
    return sorted(found, key=lambda pair: pair[1])


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


def restore(file: Path, *, force: bool, progress=None, keep_days: int = 30) -> Path:
    """Replace the live database's contents with a backup's: SQLite online, through the backup API; a
    PostgreSQL dump with pg_restore, in one transaction. The database it replaces is backed up first
    (returned: the way back). Refused while a till is open (a session not yet counted) or holds a basket,
    unless forced; the file must pass its check and be a LukLuk database of this kind."""
    from flask import current_app

    file = Path(file).resolve()
    if not file.is_file():
        raise BackupError(f"Nie ma pliku {file}.")
    postgres = db.engine.url.get_backend_name() == "postgresql"
    if postgres != (file.suffix == ".dump"):
        raise BackupError("Ta kopia pochodzi z innej bazy (SQLite ↔ PostgreSQL) niż ta instalacja: przywróć ją "
                          "na komputerze z taką samą bazą.")
    if postgres:
        _check_dump(file)
    else:
        _check_sqlite(file)
    refused = "" if force else _why_not_restore()
    if refused:
        raise BackupError(refused)
    before = make_backup(current_app.instance_path, keep_days=keep_days, url=db.engine.url)
    db.session.remove()
    db.engine.dispose()
    if postgres:
        _pg_restore(file)
    else:
        _sqlite_restore(file, progress)
    return before


def _check_sqlite(file: Path) -> None:
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


def _check_dump(file: Path) -> None:
    listed = subprocess.run([_program("pg_restore"), "--list", str(file)], capture_output=True, check=False)
    contents = listed.stdout.decode("utf-8", "replace")
    if listed.returncode != 0 or "TABLE DATA public sale " not in contents:
        raise BackupError("To nie jest kopia bazy LukLuk (pg_restore jej nie czyta).")


def _pg_restore(file: Path) -> None:
    connect, env = _libpq(db.engine.url)
    done = subprocess.run([_program("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                           "--single-transaction", "--exit-on-error", *connect, str(file)],
                          env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise BackupError("pg_restore nie przywrócił kopii (baza została bez zmian): "
                          + done.stderr.decode("utf-8", "replace").strip()[-300:])


def _sqlite_restore(file: Path, progress) -> None:
    target_path = sqlite_path()
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


def try_migrations(file: Path, instance_path: str) -> str:
    """Bring a copy of a backup to this version's schema and compare it with the program's models
    (``flask db upgrade`` and ``flask db check`` on the copy, in a process of their own), before an upgrade
    switches: the live database is not touched. SQLite's copy is checked by integrity_check too; a
    PostgreSQL dump is restored into a scratch database beside the live one, dropped after. Returns what
    was done; raises ``BackupError`` with the migration's own complaint."""
    import sys
    import tempfile

    from sqlalchemy import create_engine, text

    file = Path(file).resolve()
    project = Path(__file__).resolve().parents[2]
    scratch = Path(tempfile.mkdtemp(prefix="upgrade-check-", dir=private.folder(Path(instance_path) / "backups")))
    live = db.engine.url
    engine = None
    try:
        if file.suffix == ".dump":
            name = f"{live.database}_upgrade_check"[:63]
            engine = create_engine(live.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            copy_url = live.set(database=name)
            connect, env = _libpq(copy_url)
            done = subprocess.run([_program("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                                   *connect, str(file)], env=env, capture_output=True, check=False)
            if done.returncode != 0:
                raise BackupError("Kopii nie da się odtworzyć do sprawdzenia: "
                                  + done.stderr.decode("utf-8", "replace").strip()[-300:])
            url = copy_url.render_as_string(hide_password=False)
        else:
            _check_sqlite(file)
            copy = scratch / "lukluk.db"
            shutil.copyfile(file, copy)
            url = f"sqlite:///{copy}"
        env = os.environ | {"LUKLUK_DATABASE_URL": url, "LUKLUK_INSTANCE_PATH": str(scratch / "instance")}
        for step in (["db", "upgrade"], ["db", "check"]):
            done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *step], cwd=project, env=env,
                                  capture_output=True, check=False)
            if done.returncode != 0:
                said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
                raise BackupError(f"flask {' '.join(step)} na kopii: " + " ".join(said[-3:])[:500])
        if file.suffix != ".dump":
            result = integrity(scratch / "lukluk.db")
            if result != "ok":
                raise BackupError(f"Kopia po migracjach nie przeszła sprawdzenia: {result}")
        return f"Migracje tej wersji przeszły na kopii {file.name}; schemat zgadza się z programem."
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if engine is not None:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()
