"""Secrets at rest (#27 point 3): the KSeF token and the offline certificate's private key are sealed with a
key outside the database, so neither the live database, its WAL nor a backup holds them in clear; the
instance folder, database, WAL and backups are 0700/0600 whatever the umask, and an older installation is
tightened at start."""
import os
import stat

import pytest
from sqlalchemy import text

from lukluk_pos import create_app
from lukluk_pos.core import backup, sealing
from lukluk_pos.extensions import db
from lukluk_pos.invoicing import service
from tests.conftest import _config, in_app
from tests.test_invoicing_ksef import _offline_certificate

TOKEN = "20261207-EC-0123456789ABCDEF0123456789ABCDEF|nip-5860000000|f00dfeedc0ffee"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _save_secrets(app, client, sign_in):
    certificate, key = _offline_certificate()
    sign_in("Magda", password=True)  # the admin
    page = client.get("/admin/invoicing")
    assert page.status_code == 200
    with in_app(app):
        config = service.settings()
        form = {"series": config.series, "correction_series": config.correction_series, "place": "Sopot",
                "exemption_basis": config.exemption_basis, "exemption_field": config.exemption_field,
                "ksef_environment": "test", "ksef_token": TOKEN, "offline_certificate": certificate,
                "offline_key": key}
    saved = client.post("/admin/invoicing", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    return key


def test_no_secret_in_the_database_its_wal_or_a_backup(app, client, sign_in, shop, backend, tmp_path):
    key = _save_secrets(app, client, sign_in)
    secret_key_line = key.splitlines()[1].encode()  # a line of the private key's base64
    with in_app(app):
        config = service.settings()
        assert config.ksef_token == TOKEN and config.offline_key == key.strip()  # the app reads them
        raw = db.session.execute(text("SELECT ksef_token, offline_key FROM invoice_settings")).one()
        assert all(value.startswith(sealing.PREFIX) for value in raw)
        assert TOKEN not in raw[0] and key not in raw[1]
    assert _mode(tmp_path / "instance" / sealing.KEY_FILE) == 0o600
    if backend == "postgresql":
        return  # pg_dump copies what the query above read
    with in_app(app):
        copy = backup.make_backup(app.instance_path, keep_days=30)
        live = backup.sqlite_path()
    for path in [copy, live, live.with_name(live.name + "-wal")]:
        if path.exists():
            data = path.read_bytes()
            assert TOKEN.encode() not in data and secret_key_line not in data, path
    assert _mode(copy) == 0o600 and _mode(copy.parent) == 0o700


def test_a_backup_restored_without_its_key_asks_for_the_secrets_again(app, client, sign_in, shop, tmp_path):
    _save_secrets(app, client, sign_in)
    (tmp_path / "instance" / sealing.KEY_FILE).write_bytes(sealing.Fernet.generate_key())  # another computer's
    with in_app(app):
        assert service.settings().ksef_token == ""  # unreadable is "not set", never garbage sent to KSeF
    page = client.get("/admin/invoicing").get_data(as_text=True)
    assert "zapisano na innym komputerze" in page


def test_files_are_private_whatever_the_umask_and_old_installations_are_tightened(tmp_path):
    instance = tmp_path / "instance"
    (instance / "backups").mkdir(parents=True, mode=0o755)
    old_backup = instance / "backups" / "lukluk-20261101-200000.db"
    old_backup.write_bytes(b"")
    old_backup.chmod(0o644)
    (instance / "secret_key").write_text("0" * 64)
    (instance / "secret_key").chmod(0o644)
    instance.chmod(0o755)
    database = instance / "lukluk.db"
    previous = os.umask(0o022)
    try:
        app = create_app(_config(instance, f"sqlite:///{database}", csrf=False))
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            db.session.execute(text("UPDATE shop SET name = name"))  # a write: the WAL exists
            db.session.commit()
            wal = database.with_name(database.name + "-wal")
            assert wal.exists()
            assert _mode(wal) == 0o600
            db.engine.dispose()
    finally:
        os.umask(previous)
    assert _mode(instance) == 0o700 and _mode(instance / "backups") == 0o700
    assert _mode(database) == 0o600 and _mode(old_backup) == 0o600 and _mode(instance / "secret_key") == 0o600


@pytest.mark.parametrize("backend", ["sqlite"], indirect=False)
def test_the_migration_seals_what_an_installation_already_holds(app, shop, backend):
    from flask_migrate import downgrade, upgrade

    with in_app(app):
        service.settings()
        db.session.commit()
        db.session.remove()
        downgrade(revision="a8b6c0d2e5f7")
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE invoice_settings SET ksef_token = :token"), {"token": TOKEN})
        upgrade()
        raw = db.session.execute(text("SELECT ksef_token FROM invoice_settings")).scalar()
        assert raw.startswith(sealing.PREFIX) and TOKEN not in raw
        assert service.settings().ksef_token == TOKEN
