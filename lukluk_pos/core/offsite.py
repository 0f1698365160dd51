"""Copies off the machine: each verified local backup is also sent, encrypted, to the places the admin set
— a USB stick or a mounted folder, and/or a restic repository elsewhere (SFTP, S3-compatible storage,
restic's REST server) — with restic (Debian's package, run as a program: no library of ours).

Both kinds of place are restic repositories: a folder holds one in ``lukluk-kopie``, so a lost USB stick
shows nothing of the shop's donors or buyers. One key, made for this PC when the admin first sets a
place and kept beside the database (``instance/offsite-key``, 0600), opens them all; the admin prints
it once on the recovery sheet with the places' addresses. Without the sheet, a copy cannot be read.

The places and the key belong to this PC, not to the shop's history: they live in the instance folder
(``offsite.json``), not in the database, so restoring an old database on a new PC keeps the new PC's
places. Credentials a remote place needs (S3 keys, an SFTP key) come from the service's environment
(``/etc/lukluk/lukluk.env``), as restic reads them.

Each copy is one snapshot holding the backup (``lukluk.db`` or, on PostgreSQL, ``lukluk.dump``) and the
instance's sealing key (``data.key``: the KSeF token and certificate are sealed with it in the database),
host ``lukluk`` and tag ``lukluk``, so a new PC with another name finds it. After sending, the copy is read
back from the place and compared, byte for byte (SHA-256), with the local backup; then restic's own
policy prunes it to the shop's retention (days, weeks, months). The outcome of every place goes to
``backups/last-offsite.json`` for the dashboard, ``/health`` and ``flask doctor``; a failure is said
in words with what to do, and the local backup is kept whatever happens here.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from . import private
from .sealing import KEY_FILE as KEY_FILE_SEALING

SETTINGS_FILE = "offsite.json"
KEY_FILE = "offsite-key"
STATUS_FILE = "last-offsite.json"
#: The instance's sealing key, sent inside each encrypted snapshot.
SEALING_KEY = KEY_FILE_SEALING
#: The folder inside a USB stick or mounted folder that holds the restic repository.
FOLDER_REPOSITORY = "lukluk-kopie"
HOST = TAG = "lukluk"
#: Older than this, the last off-machine copy turns the dashboard red.
STALE_HOURS = 48
#: Seconds a place may take to answer one restic step before it counts as unreachable.
STEP_TIMEOUT = 15 * 60
MAX_ADDRESS = 500

log = logging.getLogger(__name__)


class OffsiteError(Exception):
    """A copy that could not be made, said in the shop's language with what to do."""


@dataclass
class Settings:
    folder: str = ""  #: a USB stick or mounted folder (its path on this PC)
    repository: str = ""  #: a restic repository: sftp:…, s3:…, rest:http(s)://…, or a path
    keep_daily: int = 14
    keep_weekly: int = 8
    keep_monthly: int = 24

    def places(self) -> list[Place]:
        found = []
        if self.folder:
            found.append(Place("folder", self.folder, str(Path(self.folder) / FOLDER_REPOSITORY)))
        if self.repository:
            found.append(Place("repository", self.repository, self.repository))
        return found


@dataclass(frozen=True)
class Place:
    kind: str  #: "folder" or "repository"
    address: str  #: as the admin wrote it (the recovery sheet shows it)
    repository: str  #: what restic opens


def place_at(address: str) -> Place:
    """A place as the recovery sheet names it: the USB stick's folder (holding ``lukluk-kopie``) or a
    restic repository."""
    folder = Path(address)
    if folder.is_absolute() and (folder / FOLDER_REPOSITORY).is_dir():
        return Place("folder", address, str(folder / FOLDER_REPOSITORY))
    return Place("repository", address, address)


def read_settings(instance_path: str) -> Settings:
    try:
        data = json.loads((Path(instance_path) / SETTINGS_FILE).read_text())
    except (OSError, ValueError):
        return Settings()
    known = {name: data[name] for name in Settings.__dataclass_fields__ if name in data}
    return Settings(**known)


def write_settings(instance_path: str, settings: Settings) -> None:
    path = Path(instance_path) / SETTINGS_FILE
    partial = private.new_file(path.with_suffix(".part"))
    partial.write_text(json.dumps(asdict(settings)))
    os.replace(partial, path)
    if settings.places():
        key(instance_path)  # made the moment there is a place to send to: the sheet can be printed


def key_path(instance_path: str) -> Path:
    return Path(instance_path) / KEY_FILE


def key(instance_path: str) -> str:
    """This PC's key to its copies, made once (0600). Five groups of five, easy to copy from paper: 25
    characters from 31 that cannot be misread (no 0/O, 1/l/I), about 124 bits."""
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"

    def make() -> bytes:
        text = "".join(secrets.choice(alphabet) for _ in range(25))
        return "-".join(text[i:i + 5] for i in range(0, 25, 5)).encode()

    return private.key_file(key_path(instance_path), make).decode()


def has_key(instance_path: str) -> bool:
    return key_path(instance_path).is_file()


def restic() -> str | None:
    return shutil.which("restic")


# --- talking to restic ---------------------------------------------------------------------------

def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: a copy, 0600
        shutil.copyfile(source, private.new_file(target))


def _run(place: Place, key_file: Path, *args: str, stdin=None, stdout=subprocess.PIPE,
         timeout: float = STEP_TIMEOUT, cwd: Path | None = None) -> subprocess.CompletedProcess:
    program = restic()
    if program is None:
        raise OffsiteError("Program restic nie jest zainstalowany: uruchom ponownie instalator "
                           "(sudo ./install.sh) albo zainstaluj pakiet restic.")
    try:
        return subprocess.run([program, "--no-cache", *args], stdin=stdin, stdout=stdout,
                              stderr=subprocess.PIPE, env=_env(place, key_file), timeout=timeout, check=False,
                              cwd=cwd)
    except subprocess.TimeoutExpired:
        raise OffsiteError(_unreachable(place) + " (nie odpowiada od " + f"{int(timeout)} s)") from None


def _env(place: Place, key_file: Path) -> dict:
    """restic's environment: the place and this key's file, nothing of a password set elsewhere."""
    env = os.environ | {"RESTIC_REPOSITORY": place.repository, "RESTIC_PASSWORD_FILE": str(key_file)}
    env.pop("RESTIC_PASSWORD", None)
    env.pop("RESTIC_PASSWORD_COMMAND", None)
    return env


def _unreachable(place: Place) -> str:
    if place.kind == "folder":
        return (f"Nie można zapisać w folderze {place.address}: sprawdź, czy pendrive jest podłączony, "
                "a folder istnieje")
    return (f"Repozytorium {place.address} jest nieosiągalne: sprawdź połączenie z internetem i adres "
            "(Ustawienia → Kopie zapasowe)")


def _words(place: Place, stderr: bytes) -> str:
    """restic's complaint, said for the shop: what is wrong and what to do."""
    said = stderr.decode("utf-8", "replace")
    low = said.lower()
    if "wrong password" in low or "no key found" in low:
        return (f"Klucz nie pasuje do kopii w {place.address}: to repozytorium ma inny klucz. Wpisz klucz z arkusza "
                "odtworzeniowego tego sklepu albo wskaż nowe, puste miejsce na kopie.")
    if "no space left" in low or "disk quota" in low or "insufficient storage" in low:
        return (f"Brak miejsca w {place.address}: usuń z niego inne pliki albo użyj większego nośnika. "
                "Kopia na tym komputerze jest zachowana.")
    if any(word in low for word in ("connection refused", "dial tcp", "no such host", "i/o timeout",
                                    "network is unreachable", "connection reset", "tls:", "unexpected eof")):
        return _unreachable(place) + "."
    if "permission denied" in low or "read-only file system" in low:
        return (f"Brak prawa zapisu w {place.address}: pendrive może być zablokowany do zapisu albo folder "
                "należy do innego użytkownika.")
    if "locked" in low and "repository" in low:
        return (f"Repozytorium {place.address} jest zajęte przez inny program (blokada restic). Spróbuj za "
                "chwilę; jeśli to się powtarza, technik usunie blokadę poleceniem restic unlock.")
    last = said.strip().splitlines()[-1] if said.strip() else "restic nie podał powodu"
    return f"Kopia do {place.address} nie powiodła się: {last[:200]}"


def _fail(place: Place, result: subprocess.CompletedProcess) -> OffsiteError:
    log.warning("restic failed for %s (exit %s): %s", place.address, result.returncode,
                result.stderr.decode("utf-8", "replace")[-2000:])
    return OffsiteError(_words(place, result.stderr))


def _missing_repository(stderr: bytes) -> bool:
    low = stderr.decode("utf-8", "replace").lower()
    if any(word in low for word in ("connection refused", "dial tcp", "no such host", "timeout")):
        return False
    return "does not exist" in low or "no such file or directory" in low or "not found" in low


def _check_folder(place: Place, instance_path: str) -> None:
    """A folder place must be there (a USB stick plugged in) and must not be this PC's own disk: a copy
    on the disk that holds the database dies with it."""
    folder = Path(place.address)
    if not folder.is_absolute():
        raise OffsiteError(f"Folder kopii musi być pełną ścieżką (np. /media/pendrive), a jest: {place.address}")
    if not folder.is_dir():
        raise OffsiteError(f"Nie ma folderu {place.address}: podłącz pendrive z kopiami (albo zamontuj "
                           "folder sieciowy) i spróbuj ponownie.")
    if folder.stat().st_dev == Path(instance_path).stat().st_dev:
        raise OffsiteError(f"Folder {place.address} leży na dysku tego komputera, a kopia ma przetrwać jego "
                           "awarię: wskaż pendrive albo folder sieciowy.")


def _open(place: Place, key_file: Path, instance_path: str | None, *, create: bool) -> None:
    """Make sure the place holds a repository this key opens (a new place is initialised)."""
    if place.kind == "folder" and instance_path is not None:
        _check_folder(place, instance_path)
    result = _run(place, key_file, "cat", "config", stdout=subprocess.DEVNULL, timeout=120)
    if result.returncode == 0:
        return
    if create and _missing_repository(result.stderr):
        made = _run(place, key_file, "init", timeout=120)
        if made.returncode == 0:
            return
        raise _fail(place, made)
    if _missing_repository(result.stderr):
        raise OffsiteError(f"W {place.address} nie ma kopii sklepu LukLuk: sprawdź adres z arkusza "
                           "odtworzeniowego albo podłącz właściwy pendrive.")
    raise _fail(place, result)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot_name(backup: Path) -> str:
    return "lukluk.dump" if backup.suffix == ".dump" else "lukluk.db"


def send_to(place: Place, backup: Path, *, instance_path: str, settings: Settings) -> str:
    """One place: the backup sent as a snapshot, read back and compared, the place pruned to the shop's
    retention. Returns the snapshot's id."""
    key_file = key_path(instance_path)
    _open(place, key_file, instance_path, create=True)
    name = snapshot_name(backup)
    # The snapshot holds the backup and the instance's sealing key (``sealing.py``), both at its top: the
    # copy is encrypted with this PC's key, and without data.key a new PC could not open the KSeF token
    # and certificate the database keeps sealed. Staged by hard links beside the backups (no copy).
    # One stage folder, always the same path (restic finds the previous snapshot by it); sends are one at
    # a time across processes (``_one_sender``).
    stage = backup.parent / ".offsite-stage"
    shutil.rmtree(stage, ignore_errors=True)
    private.folder(stage)
    _link(backup, stage / name)
    names = [name]
    sealing_key = Path(instance_path) / SEALING_KEY
    if sealing_key.is_file():
        _link(sealing_key, stage / SEALING_KEY)
        names.append(SEALING_KEY)
    try:
        sent = _run(place, key_file, "backup", "--json", "--host", HOST, "--tag", TAG, *names, cwd=stage)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if sent.returncode != 0:
        raise _fail(place, sent)
    snapshot = ""
    for line in sent.stdout.decode("utf-8", "replace").splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("message_type") == "summary":
            snapshot = message.get("snapshot_id", "")
    if not snapshot:
        raise OffsiteError(f"Kopia do {place.address} nie powiodła się: restic nie podał numeru kopii.")
    # Read back from the place and compared with the local backup: the copy is whole and this key opens it.
    program = restic()
    digest = hashlib.sha256()
    with subprocess.Popen([program, "--no-cache", "dump", snapshot, "/" + name], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=_env(place, key_file)) as reading:
        # A place that stops answering mid-read must not hold the backup's thread for ever: killed after the
        # step's time, the read ends and is said as unreachable.
        watchdog = threading.Timer(STEP_TIMEOUT, reading.kill)
        watchdog.start()
        try:
            for block in iter(lambda: reading.stdout.read(1 << 20), b""):
                digest.update(block)
            error = reading.stderr.read()
            reading.wait()
        finally:
            watchdog.cancel()
    if reading.returncode < 0:
        raise OffsiteError(_unreachable(place) + " (odczyt kopii nie skończył się)")
    if reading.returncode != 0:
        raise _fail(place, subprocess.CompletedProcess([], reading.returncode, b"", error))
    if digest.hexdigest() != _sha256(backup):
        raise OffsiteError(f"Kopia w {place.address} różni się od kopii na tym komputerze: spróbuj ponownie; "
                           "jeśli się powtarza, nośnik może być uszkodzony.")
    pruned = _run(place, key_file, "forget", "--host", HOST, "--tag", TAG, "--group-by", "host,tags", "--prune",
                  "--keep-daily", str(settings.keep_daily), "--keep-weekly", str(settings.keep_weekly),
                  "--keep-monthly", str(settings.keep_monthly))
    if pruned.returncode != 0:  # the copy is there and read back; only the tidying failed
        log.warning("restic forget failed for %s: %s", place.address, pruned.stderr.decode("utf-8", "replace"))
    return snapshot


# --- the outcome, for the dashboard, /health and doctor --------------------------------------------

@dataclass
class PlaceStatus:
    kind: str
    address: str
    state: str = "never"  #: "ok", "failed" or "never"
    tried_at: str = ""
    ok_at: str = ""  #: the last copy that was sent and read back (ISO, local time of this PC)
    snapshot: str = ""
    error: str = ""
    file: str = ""


@dataclass
class Status:
    places: list[PlaceStatus] = field(default_factory=list)

    def last_ok(self) -> datetime | None:
        times = [datetime.fromisoformat(p.ok_at) for p in self.places if p.ok_at]
        return max(times) if times else None

    def failed(self) -> list[PlaceStatus]:
        return [p for p in self.places if p.state == "failed"]


def read_status(instance_path: str) -> Status:
    try:
        data = json.loads((Path(instance_path) / "backups" / STATUS_FILE).read_text())
        return Status([PlaceStatus(**p) for p in data.get("places", [])])
    except (OSError, ValueError, TypeError):
        return Status()


def _write_status(instance_path: str, status: Status) -> None:
    folder = private.folder(Path(instance_path) / "backups")
    partial = private.new_file(folder / (STATUS_FILE + ".part"))
    partial.write_text(json.dumps({"places": [asdict(p) for p in status.places]}))
    os.replace(partial, folder / STATUS_FILE)


@contextmanager
def _one_sender(instance_path: str):
    """One sender at a time across processes (the server's copy after a close and the nightly timer's):
    restic would refuse one of them at its pruning lock. An advisory lock on a file beside the backups
    (POSIX; elsewhere the copies are not serialised across processes)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    path = private.new_file(private.folder(Path(instance_path) / "backups") / ".offsite.lock")
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def send(instance_path: str, backup: Path, *, now: datetime | None = None) -> Status:
    """Send ``backup`` to every place set; each place's outcome is recorded (the others are still tried
    when one fails). Nothing is raised: a failure is in the status, in words, and in the log."""
    with _one_sender(instance_path):
        return _send(instance_path, backup, now=now)


def _send(instance_path: str, backup: Path, *, now: datetime | None) -> Status:
    settings = read_settings(instance_path)
    before = {(p.kind, p.address): p for p in read_status(instance_path).places}
    status = Status()
    for place in settings.places():
        moment = (now or datetime.now()).isoformat(timespec="seconds")
        previous = before.get((place.kind, place.address))
        row = PlaceStatus(place.kind, place.address, ok_at=previous.ok_at if previous else "",
                          snapshot=previous.snapshot if previous else "", tried_at=moment)
        try:
            row.snapshot = send_to(place, backup, instance_path=instance_path, settings=settings)
        except OffsiteError as exc:
            row.state, row.error = "failed", str(exc)
            log.error("Off-machine copy to %s failed: %s", place.address, exc)
        except OSError as exc:
            row.state, row.error = "failed", f"Kopia do {place.address} nie powiodła się: {exc}"
            log.exception("Off-machine copy to %s failed", place.address)
        else:
            row.state, row.ok_at, row.file = "ok", moment, backup.name
        status.places.append(row)
    _write_status(instance_path, status)
    return status


def snapshots(place: Place, key_file: Path) -> list[dict]:
    """The shop's copies in a place, oldest first (``time``, ``id``, ``short_id``, ``paths``)."""
    _open(place, key_file, None, create=False)
    result = _run(place, key_file, "snapshots", "--json", "--host", HOST, "--tag", TAG, timeout=300)
    if result.returncode != 0:
        raise _fail(place, result)
    return sorted(json.loads(result.stdout or b"[]"), key=lambda s: s.get("time", ""))


@contextmanager
def _sheet_key(folder: Path, key_text: str):
    """The recovery sheet's key, as typed, in a 0600 file for restic while it is needed."""
    private.folder(folder)
    key_file = private.new_file(folder / ".sheet-key")
    try:
        key_file.write_text(key_text.strip())
        yield key_file
    finally:
        key_file.unlink(missing_ok=True)


def copies_at(address: str, key_text: str, work_folder: Path) -> list[dict]:
    """The shop's copies at a place named as on the recovery sheet, oldest first."""
    with _sheet_key(work_folder, key_text) as key_file:
        return snapshots(place_at(address), key_file)


def _dump(place: Place, key_file: Path, snapshot_id: str, name: str, target: Path) -> None:
    """One file of a snapshot written to ``target`` (0600), whole or not at all."""
    partial = private.new_file(target.with_name(target.name + ".part"))
    with open(partial, "wb") as out:
        got = _run(place, key_file, "dump", snapshot_id, "/" + name, stdout=out)
    if got.returncode != 0:
        partial.unlink(missing_ok=True)
        raise _fail(place, got)
    os.replace(partial, target)


def fetch(address: str, key_text: str, target_folder: Path, *, snapshot: str = "latest") -> Path:
    """Read a copy back from a place onto this PC, for a restore: ``address`` as on the recovery sheet (a
    folder — the USB stick — or a restic repository), the key as printed. Returns the file, 0600, in
    ``target_folder``; the sealing key that came with it lies beside (``sealing_key_beside``)."""
    place = place_at(address)
    with _sheet_key(target_folder, key_text) as key_file:
        found = snapshots(place, key_file)
        if not found:
            raise OffsiteError(f"W {address} nie ma jeszcze żadnej kopii sklepu.")
        chosen = found[-1] if snapshot == "latest" else next(
            (s for s in found if s.get("id", "").startswith(snapshot) or s.get("short_id") == snapshot), None)
        if chosen is None:
            raise OffsiteError(f"W {address} nie ma kopii {snapshot}: zobacz listę poleceniem "
                               "flask restore --list.")
        names = [Path(p).name for p in chosen.get("paths", [])]
        name = next((n for n in names if n.startswith("lukluk.")), "lukluk.db")
        when = datetime.fromisoformat(chosen["time"][:19]).strftime("%Y%m%d-%H%M%S")
        target = target_folder / f"restored-{when}{Path(name).suffix}"
        _dump(place, key_file, chosen["id"], name, target)
        if SEALING_KEY in names:
            _dump(place, key_file, chosen["id"], SEALING_KEY, target.with_name(target.stem + "." + SEALING_KEY))
        return target


def sealing_key_beside(fetched: Path) -> Path | None:
    """The sealing key that came with a fetched copy, if it did."""
    path = fetched.with_name(fetched.stem + "." + SEALING_KEY)
    return path if path.is_file() else None
