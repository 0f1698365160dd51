"""#29: ``install.sh`` run against a throwaway root (``--root``): the program, its data folder, settings,
the systemd unit and the kiosk entry land where they should with the right modes; a second run repairs
and keeps the data; uninstall keeps the data unless purged; the unit passes ``systemd-analyze verify``.

Kinder than a real PC, written down: under ``--root`` no packages are installed, no user is made and no
service is started, and the virtualenv is not built (``--no-venv``: pip installs the pinned requirements
on a real install); ``systemd-analyze`` verifies the unit with its paths moved under the throwaway root,
where the test puts the project's own virtualenv, so the commands it names exist and run."""
from __future__ import annotations

import configparser
import getpass
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _install(root: Path, *args: str) -> str:
    done = subprocess.run(["bash", str(ROOT / "install.sh"), "--root", str(root), "--no-venv",
                           "--owner", getpass.getuser(), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_installer_lays_out_the_program_data_and_service_and_repairs_without_touching_data(tmp_path):
    root = tmp_path / "pc"
    said = _install(root)
    app, data, env = root / "opt/lukluk", root / "var/lib/lukluk", root / "etc/lukluk/lukluk.env"
    unit = root / "etc/systemd/system/lukluk.service"
    current = app / "current"
    assert current.is_symlink() and os.readlink(current).startswith("releases/")
    for part in ("lukluk_pos/serve.py", "migrations/env.py", "requirements.txt", "wsgi.py", "config.py",
                 "deploy/kiosk.sh"):
        assert (current / part).is_file(), part
    assert not list(current.rglob("__pycache__"))
    assert _mode(data) == 0o700 and _mode(env) == 0o640 and _mode(unit) == 0o644
    assert os.access(current / "deploy/kiosk.sh", os.X_OK)
    assert "LUKLUK_INSTANCE_PATH=/var/lib/lukluk" in env.read_text()
    text = unit.read_text()
    for line in ("Type=notify", "WatchdogSec=60", "Restart=on-failure", "User=lukluk", "UMask=0077",
                 "ExecStart=/opt/lukluk/current/.venv/bin/python -m lukluk_pos.serve", "WantedBy=multi-user.target"):
        assert line in text, line
    assert "Zainstalowano" in said
    command = root / "usr/local/bin/lukluk"  # the counter PC's own commands (doctor, backup, restore, upgrade)
    assert _mode(command) == 0o755 and "flask" in command.read_text()
    assert (current / "VERSION").read_text().strip() == os.readlink(current).removeprefix("releases/")
    for name in ("lukluk-backup.service", "lukluk-backup.timer"):
        assert _mode(root / "etc/systemd/system" / name) == 0o644
    assert not (root / "etc/xdg/autostart/lukluk-kiosk.desktop").exists()  # only with --kiosk

    # The shop works for a while: its database and the admin's settings must survive a second run.
    (data / "lukluk.db").write_bytes(b"the shop's sales")
    env.write_text(env.read_text().replace("LUKLUK_PORT=5000", "LUKLUK_PORT=5050"))
    (unit).write_text("broken")  # and someone broke the unit: the second run repairs it
    _install(root, "--kiosk")
    assert (data / "lukluk.db").read_bytes() == b"the shop's sales"
    assert "LUKLUK_PORT=5050" in env.read_text()
    assert "Type=notify" in unit.read_text()

    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(root / "etc/xdg/autostart/lukluk-kiosk.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Name[pl]"] == "Kasa LukLuk"
    assert desktop["Exec"] == "/opt/lukluk/current/deploy/kiosk.sh"
    kiosk = (current / "deploy/kiosk.sh").read_text()
    for flag in ("--kiosk", "--no-first-run", "--disable-translate", "--password-store=basic"):
        assert flag in kiosk, flag

    _install(root, "--uninstall")
    assert not app.exists() and not unit.exists() and (data / "lukluk.db").exists()  # the data stay
    assert not command.exists() and not (root / "etc/systemd/system/lukluk-backup.timer").exists()
    _install(root, "--uninstall", "--purge")
    assert not data.exists() and not env.exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not on this machine")
def test_the_unit_passes_systemd_analyze_verify(tmp_path):
    root = tmp_path / "pc"
    _install(root)
    venv = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv")
    (root / "opt/lukluk/current/.venv").symlink_to(venv)  # real python and flask, where the unit names them
    moved_units = []
    for name in ("lukluk.service", "lukluk-backup.service", "lukluk-backup.timer"):
        text = (root / "etc/systemd/system" / name).read_text()
        for path in ("/opt/lukluk", "/etc/lukluk", "/var/lib/lukluk"):
            text = text.replace(path, f"{root}{path}")
        (tmp_path / name).write_text(text)
        moved_units.append(str(tmp_path / name))
    unit = (tmp_path / "lukluk.service").read_text()
    # The nightly backup's timer names its service; the service the app's backup command.
    assert "ExecStart=" in (tmp_path / "lukluk-backup.service").read_text() and "backup" in \
        (tmp_path / "lukluk-backup.service").read_text()
    assert "OnCalendar=*-*-* 23:30:00" in (tmp_path / "lukluk-backup.timer").read_text()
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *moved_units], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "lukluk" not in done.stderr, done.stderr
    broken = tmp_path / "broken.service"  # the check can fail: a command that is not there
    broken.write_text(unit.replace("bin/python -m", "bin/nothing -m"))
    assert subprocess.run(["systemd-analyze", "verify", "--man=no", str(broken)], capture_output=True,
                          timeout=60).returncode != 0


def test_the_installer_refuses_without_root_and_unknown_options(tmp_path):
    done = subprocess.run(["bash", str(ROOT / "install.sh"), "--bogus"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "Nieznana opcja" in done.stderr
    assert subprocess.run(["bash", "-n", str(ROOT / "install.sh")]).returncode == 0
