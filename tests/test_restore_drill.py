"""#29's "disk died" drill, end to end on each database: a shop with a week of sales (``flask demo``) and a
sealed KSeF token → its copy off the machine (a USB stick: a tmpfs of its own) → a fresh instance with an
empty database, restored from the stick with the recovery sheet's key by the command the sheet prints →
every table equal, every day's report identical, the token opens, SQLite's integrity_check passes.

Kinder than a dead PC, written down: both instances live on this machine (the fresh one has its own
instance folder, database and keys, but the same Python and program files)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import MetaData, create_engine, select, text

from lukluk_pos import create_app
from lukluk_pos.core import offsite
from lukluk_pos.extensions import db
from tests.conftest import PG_ADMIN_URL, _config, _migrate
from tests.offsite_support import need, usb_stick


def _tables(url: str) -> dict[str, list]:
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {name: sorted(map(repr, conn.execute(select(table)))) for name, table in meta.tables.items()}
    finally:
        engine.dispose()


def _day_reports(app) -> dict:
    from lukluk_pos.cash import zreport
    from lukluk_pos.cash.models import ZReport

    with app.app_context():
        days = sorted(db.session.scalars(select(ZReport.day)))
        reports = {day.isoformat(): zreport.for_day(day) for day in days}
        db.session.remove()
    return reports


@pytest.fixture
def fresh_database(backend, tmp_path):
    """An empty database for the new PC, at this version's schema."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'new-pc.db'}"
        _migrate(url, tmp_path / "migrate-instance")
        yield url
        return
    name = f"lukluk_drill_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _migrate(url, tmp_path / "migrate-instance")
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_disk_died_drill_restores_every_row_and_every_day_on_a_new_pc(app, database_url, fresh_database, backend,
                                                                         tmp_path):
    need("restic")
    old_pc = app.test_cli_runner()
    made = old_pc.invoke(args=["demo", "--items", "150", "--days", "7", "--seed", "29"])
    assert made.exit_code == 0, made.output
    with app.app_context():  # a secret the database keeps sealed with the instance's data.key
        from lukluk_pos.invoicing.models import InvoiceSettings

        row = db.session.scalar(select(InvoiceSettings)) or InvoiceSettings()
        row.ksef_token = "token-ksef-sklepu-0123456789"
        db.session.add(row)
        db.session.commit()
        db.session.remove()
    with usb_stick(tmp_path / "usb") as stick:
        offsite.write_settings(app.instance_path, offsite.Settings(folder=str(stick)))
        sent = old_pc.invoke(args=["backup"])
        assert sent.exit_code == 0 and "wysłana i odczytana" in sent.output, sent.output
        key = offsite.key(app.instance_path)  # as printed on the recovery sheet
        before, reports = _tables(database_url), _day_reports(app)
        assert len(reports) >= 6 and sum(len(rows) for rows in before.values()) > 500

        # The old PC's disk is gone. A new PC: its own instance folder, an empty database at this version.
        new_pc = create_app(_config(tmp_path / "new-pc-instance", fresh_database, csrf=False))
        empty = _tables(fresh_database)
        assert not empty["sale"]
        listed = new_pc.test_cli_runner().invoke(args=["restore", "--from", str(stick), "--key", key, "--list"])
        assert listed.exit_code == 0 and len(listed.output.strip().splitlines()) == 1, listed.output
        wrong = new_pc.test_cli_runner().invoke(args=["restore", "--from", str(stick), "--key", "zly-klucz"])
        assert wrong.exit_code == 1 and "Klucz nie pasuje" in wrong.output
        assert _tables(fresh_database) == empty  # a refused restore writes nothing
        done = new_pc.test_cli_runner().invoke(args=["restore", "--from", str(stick), "--key", key])
        assert done.exit_code == 0, done.output
        assert "Poprzednia baza zachowana jako" in done.output and "Klucz pieczętujący" in done.output
    with new_pc.app_context():
        db.session.remove()
        db.engine.dispose()
    after = _tables(fresh_database)
    assert set(after) == set(before)
    # The restore is written into the restored log, after everything it brought back.
    restored_event = [row for row in after["audit_event"] if "'backup.restore'" in row]
    assert len(restored_event) == 1 and "'copy': 'restored-" in restored_event[0]
    after["audit_event"].remove(restored_event[0])
    for table in before:
        assert after[table] == before[table], table
    assert _day_reports(new_pc) == reports
    with new_pc.app_context():
        from lukluk_pos.invoicing.models import InvoiceSettings

        assert db.session.scalar(select(InvoiceSettings)).ksef_token == "token-ksef-sklepu-0123456789"
        if backend == "sqlite":
            from lukluk_pos.core.backup import integrity, sqlite_path

            assert integrity(sqlite_path()) == "ok"
        db.session.remove()
        db.engine.dispose()
    # The empty database it replaced was kept: a restore never overwrites without a copy first.
    kept = list((tmp_path / "new-pc-instance" / "backups").glob("lukluk-*"))
    assert any(path.suffix in (".db", ".dump") for path in kept)
