"""#29: backups off the machine, against real restic (Debian's package): a USB stick (a tmpfs of its own) and
restic's REST server (``rclone serve restic``) on 127.0.0.1. Each copy is sent, read back and compared,
pruned by the shop's retention; each fault is said in words and the local backup stays.

Kinder than a shop, written down: the "USB stick" is a tmpfs (its own file system, so a full stick is a
real ENOSPC, but nobody pulls it out mid-copy); the REST server is rclone's, not restic's rest-server (the
same protocol; Debian ships rclone); an S3 or SFTP place is not tried here."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lukluk_pos.core import backup, offsite
from lukluk_pos.core.models import AuditEvent
from lukluk_pos.extensions import db
from tests.conftest import in_app
from tests.offsite_support import need, rest_server, usb_stick


@pytest.fixture(autouse=True)
def _restic():
    need("restic")


def _take(app):
    with in_app(app):
        return backup.take(app.instance_path, keep_days=30, url=db.engine.url)


def _repository_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file())


def test_each_backup_goes_to_the_stick_and_the_rest_server_read_back_encrypted_and_pruned(app, shop, tmp_path,
                                                                                         backend):
    with usb_stick(tmp_path / "usb") as stick, rest_server(tmp_path / "rest") as (address, _server):
        offsite.write_settings(app.instance_path, offsite.Settings(folder=str(stick), repository=address,
                                                                   keep_daily=1, keep_weekly=0, keep_monthly=0))
        first, status = _take(app)
        assert [(p.kind, p.state, p.error) for p in status.places] == [("folder", "ok", ""), ("repository", "ok", "")]
        assert first.suffix == (".dump" if backend == "postgresql" else ".db")
        second, status = _take(app)
        assert all(p.state == "ok" and p.file == second.name for p in status.places)
        key_file = offsite.key_path(app.instance_path)
        for place in offsite.read_settings(app.instance_path).places():
            copies = offsite.snapshots(place, key_file)
            # Retention by restic's own policy: one daily copy kept, the newest.
            assert len(copies) == 1 and copies[0]["short_id"] == next(
                p.snapshot for p in status.places if p.kind == place.kind)[:8]
            assert sorted(Path(p).name for p in copies[0]["paths"]) == sorted(
                [offsite.snapshot_name(second)] + (["data.key"] if (Path(app.instance_path) / "data.key").exists() else []))
        # Encrypted: the shop's name and its people are nowhere on the stick or the server in the clear.
        for folder in (stick / offsite.FOLDER_REPOSITORY, tmp_path / "rest"):
            data = _repository_bytes(folder)
            assert data and b"LukLuk" not in data and b"Magda" not in data and b"alembic_version" not in data
        # Read back onto this PC with the sheet's key: the very file that was sent.
        fetched = offsite.fetch(address, offsite.key(app.instance_path), tmp_path / "fetched")
        assert fetched.read_bytes() == second.read_bytes()
        assert oct(fetched.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_each_fault_is_said_in_words_and_the_local_backup_stays(app, shop, tmp_path, backend):
    instance = app.instance_path
    local = Path(instance) / "backups"

    def send(settings, file=None):
        offsite.write_settings(instance, settings)
        if file is None:
            path, status = _take(app)
        else:
            path, status = file, offsite.send(instance, file)
        assert path.exists()  # whatever happened off the machine, the local backup is kept
        [place] = status.places
        assert place.state == "failed" and offsite.read_status(instance).failed()
        return place.error

    # The REST server is down (a dead line, a switched-off NAS).
    with rest_server(tmp_path / "rest") as (address, server):
        pass
    said = send(offsite.Settings(repository=address))
    assert said == f"Repozytorium {address} jest nieosiągalne: sprawdź połączenie z internetem i adres " \
                   "(Ustawienia → Kopie zapasowe)."
    # The USB stick is not plugged in.
    said = send(offsite.Settings(folder=str(tmp_path / "not-plugged-in")))
    assert said.startswith(f"Nie ma folderu {tmp_path / 'not-plugged-in'}: podłącz pendrive")
    # A folder on the PC's own disk is no copy off the machine.
    (tmp_path / "same-disk").mkdir()
    said = send(offsite.Settings(folder=str(tmp_path / "same-disk")))
    assert "leży na dysku tego komputera" in said
    # The stick is full: a real ENOSPC from a small tmpfs.
    big = local / "lukluk-20261123-220000.db"
    big.write_bytes(os.urandom(3 * 1024 * 1024))
    with usb_stick(tmp_path / "small", size="1m") as stick:
        said = send(offsite.Settings(folder=str(stick)), big)
    assert said.startswith(f"Brak miejsca w {stick}: usuń z niego inne pliki albo użyj większego nośnika.")
    # A repository made with another PC's key (another shop's stick, or a key typed wrong).
    with usb_stick(tmp_path / "other", size="16m") as stick:
        other = tmp_path / "other-instance"
        other.mkdir()
        offsite.write_settings(str(other), offsite.Settings(folder=str(stick)))
        assert offsite.send(str(other), big).places[0].state == "ok"
        said = send(offsite.Settings(folder=str(stick)))
    assert said.startswith(f"Klucz nie pasuje do kopii w {stick}: to repozytorium ma inny klucz.")
    # Each is what the manager and the technician read.
    client = app.test_client()
    client.post("/sign-in/manager", data={"user_id": shop["Marek"], "password": "haslomarka1"})
    dashboard = client.get("/reports/").get_data(as_text=True)
    assert "Klucz nie pasuje do kopii" in dashboard and 'id="needs-a-person"' in dashboard
    doctor = app.test_cli_runner().invoke(args=["doctor"])
    assert doctor.exit_code == 1 and "✗ Kopia poza komputerem nie powiodła się: Klucz nie pasuje" in doctor.output
    health = client.get("/health").get_json()["checks"]["offsite"]
    assert health == {"ok": False, "places": 1, "hours": None, "failing": 1}
    assert str(stick) not in client.get("/health").get_data(as_text=True)  # no address in /health


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_admin_sets_the_places_prints_the_sheet_once_and_sends_a_copy_now(app, client, sign_in, shop,
                                                                              tmp_path, backend):
    sign_in("Ania")
    assert client.get("/admin/backups").status_code in (302, 403)  # the admin's alone
    sign_in("Magda", password=True)
    page = client.get("/admin/backups").get_data(as_text=True)
    assert "Kopie zapasowe" in page and "Nie ustawiono żadnego miejsca" in page
    assert client.get("/admin/backups/sheet").status_code == 302  # nothing to name yet
    with usb_stick(tmp_path / "usb") as stick:
        refused = client.post("/admin/backups", data={"folder": "pendrive", "repository": "ftp://x",
                                                      "keep_daily": "0", "keep_weekly": "8", "keep_monthly": "24"})
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422
        assert "Wpisz pełną ścieżkę folderu" in text and "Adres zaczyna się od sftp:" in text and "Od 1 do 366." in text
        assert not offsite.read_settings(app.instance_path).places()
        saved = client.post("/admin/backups", data={"folder": f" {stick} ", "repository": "", "keep_daily": "14",
                                                    "keep_weekly": "8", "keep_monthly": "24"}, follow_redirects=True)
        assert "Wydrukuj teraz arkusz odtworzeniowy" in saved.get_data(as_text=True)
        assert offsite.read_settings(app.instance_path) == offsite.Settings(folder=str(stick))
        key = offsite.key(app.instance_path)
        assert re.fullmatch(r"([2-9a-z]{5}-){4}[2-9a-z]{5}", key)
        assert oct(offsite.key_path(app.instance_path).stat().st_mode & 0o777) == "0o600"
        sheet = client.get("/admin/backups/sheet")
        sheet_text = sheet.get_data(as_text=True)
        assert sheet.headers["Cache-Control"] == "no-store"
        assert "Arkusz odtworzeniowy" in sheet_text and key in sheet_text and str(stick) in sheet_text
        assert f"sudo lukluk restore --from {stick} --key {key}" in sheet_text
        client.post("/admin/backups/send")
        app.extensions["lukluk_offsite_send"].join(120)
        page = client.get("/admin/backups").get_data(as_text=True)
        assert "wysłana i odczytana" in page
    with in_app(app):
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert {"settings.backups", "backup.sheet", "backup.send"} <= set(actions)
    client.post("/sign-in/manager", data={"user_id": shop["Marek"], "password": "haslomarka1"})
    dashboard = client.get("/reports/").get_data(as_text=True)
    assert "Ostatnia kopia poza komputerem 0 godzin temu." in dashboard


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_copy_after_a_day_close_goes_off_the_machine(app, client, sign_in, shop, tmp_path, backend):
    from tests.conftest import MANAGER_PIN, shop_today

    with usb_stick(tmp_path / "usb") as stick:
        offsite.write_settings(app.instance_path, offsite.Settings(folder=str(stick)))
        sign_in("Ania")
        token = client.get("/cash/count").get_data(as_text=True)
        assert token
        client.post("/cash/count", data={"d10000": "2"})
        client.post(f"/cash/day/{shop_today().isoformat()}", data={"confirm": "y", **MANAGER_PIN})
        app.extensions["lukluk_backup"].join(120)
        [place] = offsite.read_status(app.instance_path).places
        assert place.state == "ok" and place.file.startswith("lukluk-")
        copies = offsite.snapshots(offsite.read_settings(app.instance_path).places()[0],
                                   offsite.key_path(app.instance_path))
        assert len(copies) == 1
