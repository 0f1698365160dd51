"""Is the counter PC well? ``GET /health`` (no sign-in, no personal data: for a technician's
script or a monitor) and ``flask doctor`` (the same in Polish, with what to do about each problem).

Each check answers ``ok`` and its figures: the database answers; its schema is the installed version's
(migrations at head); the print queue moves (nothing waiting longer than 10 minutes); in fiscal-printer
mode, no sale waits for its fiscal receipt; the last backup (SQLite's or pg_dump's) is younger than 48
hours; an off-machine copy is set and its newest good copy younger than 48 hours, no place failing; the
disk has at least 1 GB free; in fiscal-printer mode, the printer's clock was within 5 minutes of the PC's
when last read (at the daily report: ``/health`` never asks the device itself, which a monitor's polling
would otherwise keep busy between receipts).
"""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import Blueprint, current_app, jsonify
from flask.cli import with_appcontext
from sqlalchemy import func, select, text

from ..core.access import Access, access
from ..core.models import FiscalMode, Shop, utcnow
from ..extensions import db

bp = Blueprint("health", __name__)

QUEUE_LATE = timedelta(minutes=10)
BACKUP_OLD = timedelta(hours=48)
DISK_LOW = 1_000_000_000
#: The fiscal printer's clock may be this far from the PC's (it shows minutes only).
CLOCK_OFF = timedelta(minutes=5)


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "backend": db.engine.url.get_backend_name()}
    except Exception as exc:  # noqa: BLE001 — any failure to answer is the answer
        db.session.rollback()
        return {"ok": False, "backend": db.engine.url.get_backend_name(), "error": type(exc).__name__}


def _migrations() -> dict:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    folder = Path(__file__).resolve().parents[2] / "migrations"
    head = ScriptDirectory(str(folder)).get_current_head()
    current = MigrationContext.configure(db.session.connection()).get_current_revision()
    return {"ok": current == head, "current": current, "head": head}


def _print_queue() -> dict:
    from ..printing.models import JobStatus, PrintJob

    waiting = [JobStatus.PENDING, JobStatus.PRINTING, JobStatus.FAILED]
    count, oldest = db.session.execute(select(func.count(), func.min(PrintJob.created_at))
                                       .where(PrintJob.status.in_(waiting))).one()
    seconds = int((utcnow() - oldest).total_seconds()) if oldest else 0
    return {"ok": seconds < QUEUE_LATE.total_seconds(), "waiting": int(count or 0), "oldest_seconds": seconds}


def _fiscal() -> dict:
    from ..fiscal.models import FiscalRegistration, RegistrationStatus

    shop = db.session.scalar(select(Shop).limit(1))
    mode = shop.fiscal_mode.value if shop else None
    waiting = 0
    if shop is not None and shop.fiscal_mode is FiscalMode.PRINTER:
        waiting = db.session.scalar(select(func.count()).select_from(FiscalRegistration)
                                    .where(FiscalRegistration.status == RegistrationStatus.PENDING)) or 0
    found = {"ok": not waiting, "mode": mode, "sales_waiting": int(waiting)}
    if shop is not None and shop.fiscal_mode is FiscalMode.PRINTER:
        from ..fiscal.service import clock_difference

        reading = clock_difference()
        if reading is not None:  # read at each daily report (the device is not asked from here)
            minutes = round(reading["difference_seconds"] / 60)
            found |= {"clock_difference_minutes": minutes, "clock_read_at": reading["read_at"]}
            found["ok"] = found["ok"] and abs(reading["difference_seconds"]) <= CLOCK_OFF.total_seconds()
    return found


def _backup() -> dict:
    from ..core.backup import taken

    kept = taken(current_app.instance_path)
    if not kept:
        return {"ok": False, "hours": None}
    hours = int((datetime.now() - kept[-1][1]).total_seconds() // 3600)
    return {"ok": timedelta(hours=hours) < BACKUP_OLD, "hours": hours}


def _offsite() -> dict:
    """The copies off the machine: set, fresh, no place failing (figures only: no address, which may
    carry a host name or a user)."""
    from ..core import offsite

    places = offsite.read_settings(current_app.instance_path).places()
    status = offsite.read_status(current_app.instance_path)
    last = status.last_ok()
    hours = int((datetime.now() - last).total_seconds() // 3600) if last else None
    failing = len(status.failed())
    fresh = hours is not None and hours < offsite.STALE_HOURS
    return {"ok": bool(places) and fresh and not failing, "places": len(places), "hours": hours,
            "failing": failing}


def _disk() -> dict:
    free = shutil.disk_usage(current_app.instance_path).free
    return {"ok": free >= DISK_LOW, "free_bytes": free}


def _found(*, migrations: bool = True) -> dict:
    database = _database()
    found = {"database": database}
    if database["ok"]:
        if migrations:
            found["migrations"] = _migrations()
        found |= {"print_queue": _print_queue(), "fiscal": _fiscal(), "backup": _backup(), "offsite": _offsite()}
    found["disk"] = _disk()
    return found


def for_the_dashboard() -> tuple[list[str], dict | None]:
    """The dashboard's single line — each failing check in words with what to do — and the off-machine
    copy's check, read once. The schema is left out: the service brings it to the program's version at
    every start, and reading the migrations costs the dashboard its speed."""
    found = _found(migrations=False)
    return [_advice(name, check) for name, check in found.items() if not check["ok"]], found.get("offsite")


def checks() -> dict:
    found = _found()
    from ..core.version import running

    return {"ok": all(check["ok"] for check in found.values()), "version": running(), "checks": found}


@bp.get("/health")
@access(Access.PUBLIC)
def health():
    """The checks as JSON, ``"ok": false`` when one fails; figures only, never a name or an amount. Always
    200: the page itself works, and a 5xx would read as the server's own fault (to a fuzzer, a proxy or a
    monitor that only counts status codes); a monitor reads ``ok``."""
    found = checks()
    response = jsonify(found)
    response.headers["Cache-Control"] = "no-store"
    return response


def _advice(name: str, check: dict) -> str:
    """One check in Polish, with what to do when it is not ok."""
    if name == "database":
        return "Baza danych odpowiada." if check["ok"] else \
            "Baza danych nie odpowiada: uruchom komputer ponownie; jeśli to nie pomoże, przywróć kopię zapasową."
    if name == "migrations":
        return "Baza jest w wersji programu." if check["ok"] else \
            "Baza nie jest w wersji programu: uruchom ponownie usługę (sudo systemctl restart lukluk)."
    if name == "print_queue":
        if check["ok"]:
            return f"Kolejka wydruków: {check['waiting']} w kolejce."
        return (f"Kolejka wydruków stoi od {check['oldest_seconds'] // 60} min ({check['waiting']} czeka): "
                "sprawdź papier, kabel i zasilanie drukarki paragonów.")
    if name == "fiscal":
        said = []
        if check["sales_waiting"]:
            said.append(f"{check['sales_waiting']} sprzedaży czeka na paragon fiskalny: wydrukuj je w „Do "
                        "zarejestrowania” (Raporty).")
        minutes = check.get("clock_difference_minutes")
        if minutes is not None and abs(minutes) > CLOCK_OFF.total_seconds() // 60:
            said.append(f"Zegar drukarki fiskalnej różni się od zegara komputera o {abs(minutes)} min (przy ostatnim "
                        "raporcie dobowym): ustaw zegar komputera (albo włącz jego synchronizację z internetem); "
                        "zegara drukarki nie zmienia się samemu — to robi serwisant.")
        if said:
            return " ".join(said)
        if minutes is not None:
            return f"Urządzenie fiskalne: nic nie czeka; zegar zgodny z komputerem ({minutes:+d} min)."
        return "Urządzenie fiskalne: nic nie czeka."
    if name == "backup":
        if check["ok"]:
            return "Kopia zapasowa jest świeża."
        if check.get("hours") is None:
            return "Nie ma jeszcze kopii zapasowej: zamknij dzień albo uruchom „flask backup”."
        return f"Ostatnia kopia zapasowa ma {check['hours']} godz.: uruchom „flask backup” i sprawdź dysk."
    if name == "offsite":
        return offsite_advice(check)
    if name == "disk":
        free = f"{check['free_bytes'] / 1e9:.1f}".replace(".", ",")  # the Polish decimal comma
        return f"Wolne miejsce na dysku: {free} GB." if check["ok"] else \
            f"Na dysku zostało tylko {free} GB: usuń zbędne pliki albo przenieś stare kopie."
    return name


def offsite_advice(check: dict) -> str:
    """The off-machine copy in words (doctor, the dashboard's line)."""
    from ..core import offsite

    if not check["places"]:
        return ("Kopie poza komputerem nie są ustawione: awaria dysku zabierze wszystko. Ustaw pendrive albo "
                "repozytorium w Ustawienia → Kopie zapasowe i wydrukuj arkusz odtworzeniowy.")
    if check["failing"]:
        failed = offsite.read_status(current_app.instance_path).failed()
        return "Kopia poza komputerem nie powiodła się: " + " ".join(p.error for p in failed)
    if check["hours"] is None:
        return "Nie ma jeszcze kopii poza komputerem: zamknij dzień albo uruchom „flask backup”."
    if not check["ok"]:
        return (f"Ostatnia kopia poza komputerem ma {check['hours']} godz.: podłącz pendrive albo sprawdź "
                "internet i uruchom „flask backup”.")
    return f"Kopia poza komputerem: {check['hours']} godz. temu."


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the counter PC (database, schema, print queue, fiscal device, backup, disk) and say what to do."""
    found = checks()
    click.echo(f"LukLuk POS, wersja {found['version']}")
    for name, check in found["checks"].items():
        click.echo(("✓ " if check["ok"] else "✗ ") + _advice(name, check))
    if not found["ok"]:
        raise SystemExit(1)
