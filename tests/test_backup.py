"""Hot backups (SQLite's backup API, pg_dump on PostgreSQL), pruning, and restore (refused while a basket is
open; the database it replaces is backed up first)."""
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from lukluk_pos.core import backup
from lukluk_pos.extensions import db
from lukluk_pos.till.models import Sale


def _sell(client, sign_in, make_item, key):
    sign_in("Ania")
    client.post("/api/v1/till/basket/lines", json={"code": make_item()["code"]})
    assert client.post("/api/v1/till/basket/complete",
                       json={"key": key, "payments": [{"method": "card"}]}).status_code == 200


def test_backup_restores_into_a_new_file_that_passes_integrity_check(app, client, sign_in, make_item, backend,
                                                                     tmp_path):
    _sell(client, sign_in, make_item, "backup-sale-1")
    result = app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    assert "sprawdzona" in result.output and "nie wysłano (brak ustawionych miejsc)" in result.output
    if backend == "postgresql":  # pg_dump's custom format, read whole by pg_restore before it counts
        [copy] = (tmp_path / "instance" / "backups").glob("lukluk-*.dump")
        listed = subprocess.run(["pg_restore", "--list", str(copy)], capture_output=True, text=True, check=True)
        assert "TABLE DATA public sale " in listed.stdout
        return
    [copy] = (tmp_path / "instance" / "backups").glob("lukluk-*.db")
    assert backup.integrity(copy) == "ok"
    # Restored into a brand-new file, it is whole and holds the sale.
    fresh = tmp_path / "restored.db"
    with sqlite3.connect(copy) as source, sqlite3.connect(fresh) as target:
        source.backup(target)
    assert backup.integrity(fresh) == "ok"
    with sqlite3.connect(fresh) as conn:
        assert conn.execute("SELECT number, total_minor FROM sale").fetchall() == [(1, 1500)]


def test_restore_puts_the_backup_back_and_refuses_while_a_basket_is_open(app, client, sign_in, make_item, backend,
                                                                         tmp_path):
    runner = app.test_cli_runner()
    _sell(client, sign_in, make_item, "before-backup")
    assert runner.invoke(args=["backup"]).exit_code == 0
    [copy] = [path for path, _at in backup.taken(app.instance_path)]
    _sell(client, sign_in, make_item, "after-backup")
    client.post("/api/v1/till/basket/lines", json={"code": make_item()["code"]})  # an open basket
    refused = runner.invoke(args=["restore", str(copy)])
    assert refused.exit_code == 1 and "otwarty koszyk" in refused.output
    forced = runner.invoke(args=["restore", str(copy), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "Poprzednia baza zachowana jako" in forced.output
    with app.app_context():
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 1  # back to the backup
        db.session.remove()
    # The database it replaced (two sales and a basket) was backed up first: the way back.
    before, _ = backup.taken(app.instance_path)[-1]
    assert before != copy
    assert runner.invoke(args=["restore", str(before), "--force"]).exit_code == 0
    with app.app_context():
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 3  # two sales and the basket


def test_a_file_that_is_not_a_lukluk_database_is_refused(app, tmp_path, backend):
    junk = tmp_path / ("junk.dump" if backend == "postgresql" else "junk.db")
    junk.write_bytes(b"not a database at all" * 100)
    result = app.test_cli_runner().invoke(args=["restore", str(junk), "--force"])
    assert result.exit_code == 1 and "To nie jest kopia bazy LukLuk" in result.output
    other = tmp_path / ("other.db" if backend == "postgresql" else "other.dump")
    other.write_bytes(b"x")
    result = app.test_cli_runner().invoke(args=["restore", str(other), "--force"])
    assert result.exit_code == 1 and "z innej bazy" in result.output


def test_old_backups_are_pruned_but_the_newest_stays(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    now = datetime(2026, 11, 28, 20, 0)
    for days in (40, 31, 5, 0):
        (folder / f"lukluk-{now - timedelta(days=days):%Y%m%d-%H%M%S}.db").write_bytes(b"x")
    removed = backup.prune(str(tmp_path), keep_days=30, now=now)
    assert sorted(p.name for p in removed) == ["lukluk-20261019-200000.db", "lukluk-20261028-200000.db"]
    assert len(list(folder.glob("*.db"))) == 2
    assert backup.prune(str(tmp_path), keep_days=0, now=now + timedelta(days=400)) != []
    assert len(list(folder.glob("*.db"))) == 1  # the newest always stays


def test_a_backup_killed_mid_copy_is_taken_again_at_start_and_its_part_removed(app, client, sign_in, make_item,
                                                                                backend, tmp_path):
    """#27 point 6: the server is SIGKILLed while the backup after a close copies; the status said
    "running" for an hour and the half-written copy stayed for ever. At the next start the copy is taken
    again and the dead .part file removed."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap

    if backend == "postgresql":
        return  # PostgreSQL is backed up with pg_dump
    _sell(client, sign_in, make_item, "backup-kill-1")
    instance = tmp_path / "instance"
    with app.app_context():
        live = backup.sqlite_path()
    script = textwrap.dedent(f"""
        import os, sys, time
        from datetime import date
        from pathlib import Path
        from lukluk_pos.core import backup, process
        backup._write_status({str(instance)!r}, day="2026-11-24", state="running", process=process.identity())
        def stuck(done, total):
            print("copying", flush=True)
            time.sleep(60)
        backup.make_backup({str(instance)!r}, keep_days=30, source_path=Path({str(live)!r}), progress=stuck)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parent.parent)
    try:
        assert child.stdout.readline().strip() == "copying"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(10)
        child.stdout.close()
    assert backup.read_status(str(instance))["state"] == "running"
    assert list((instance / "backups").glob("*.part"))
    sign_in("Marek", password=True)
    with app.app_context():
        retried = backup.recover(str(instance), keep_days=30)
        assert retried is not None
        retried.join(30)
    status = backup.read_status(str(instance))
    assert status["state"] == "ok" and status["day"] == "2026-11-24", status
    assert not list((instance / "backups").glob("*.part"))
    [copy] = (instance / "backups").glob("lukluk-*.db")
    assert backup.integrity(copy) == "ok"
    assert "Trwa" not in client.get("/").get_data(as_text=True)
    # A start with nothing left running changes nothing.
    with app.app_context():
        assert backup.recover(str(instance), keep_days=30) is None
