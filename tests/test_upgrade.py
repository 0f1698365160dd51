"""#29: an upgrade on the counter PC, from the previous commit's tree to this one, with its rollback.

The previous commit's tree is installed under a throwaway root (``--root``) and its shop is given five years
of history (24 000 items, 6 000 sales, every day closed) by that tree's own benchmark loader; make bench
times the upgrade of the full five-year shop (bench/appliance.py, docs/performance.md). This tree's ``install.sh`` then upgrades it: a checked backup, the new release
beside the old one, its migrations tried on a copy, the switch, the server started and asked ``/health``.

Kinder than a real PC, written down: no systemd under ``--root``, so the script does what the unit does
(``flask db upgrade``, then the server) and stops the server after the check; both releases use the
project's virtualenv (``--venv-from``), so pip is not exercised; the till is not stopped for the backup
because nothing serves it."""
from __future__ import annotations

import getpass
import os
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bench.appliance import release_tree

PROJECT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("VIRTUAL_ENV") or PROJECT / ".venv")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(commit: str, dest: Path) -> Path:
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(PROJECT), "archive", commit], capture_output=True, check=False)
    if archive.returncode != 0:
        pytest.skip(f"no {commit} in this clone (a shallow clone?): {archive.stderr.decode()[:200]}")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def _add_migration(tree: Path, root: Path, name: str, revision: str, upgrade: str, doc: str) -> None:
    """A migration of the test's own on top of ``tree``'s head: ``upgrade`` is its function's body."""
    head = subprocess.run([str(VENV / "bin/python"), "-m", "flask", "--app", "wsgi", "db", "heads"], cwd=tree,
                          env=_env(root), capture_output=True, text=True, check=True).stdout.split()[0]
    (tree / "migrations/versions" / name).write_text(
        f'"""{doc}"""\nfrom alembic import op\n\n'
        f'revision = "{revision}"\ndown_revision = "{head}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        f'def upgrade():\n{upgrade}\n\n\ndef downgrade():\n    pass\n')


def _env(root: Path) -> dict:
    data = root / "var/lib/lukluk"
    return os.environ | {"LUKLUK_INSTANCE_PATH": str(data), "LUKLUK_DATABASE_URL": f"sqlite:///{data}/lukluk.db"}


def _flask(root: Path, *args: str) -> str:
    done = subprocess.run([str(VENV / "bin/python"), "-m", "flask", "--app", "wsgi", *args],
                          cwd=root / "opt/lukluk/current", env=_env(root), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _contents(database: Path) -> dict[str, list]:
    """Every table's rows, sorted: the data as the shop sees them, whatever the file's pages."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    finally:
        conn.close()


def _install(source: Path, root: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(source / "install.sh"), "--root", str(root), "--owner", getpass.getuser(),
                           *extra], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def old_shop(tmp_path_factory):
    """The previous commit's release installed, its database migrated and filled by its own demo."""
    base = tmp_path_factory.mktemp("upgrade")
    old = _tree("HEAD~1", base / "old")
    (old / "VERSION").write_text("previous\n")
    root = base / "pc"
    done = _install(old, root, "--no-venv")
    assert done.returncode == 0, done.stdout + done.stderr
    release = root / "opt/lukluk" / os.readlink(root / "opt/lukluk/current")
    (release / ".venv").symlink_to(VENV)
    env_file = root / "etc/lukluk/lukluk.env"
    env_file.write_text(env_file.read_text().replace("LUKLUK_PORT=5000", f"LUKLUK_PORT={_free_port()}"))
    _flask(root, "db", "upgrade")
    # Five years of history, loaded and closed day by day by the previous commit's own benchmark code (its
    # models match its schema), thinner than make bench's (whose upgrade is timed in bench/appliance.py).
    data = root / "var/lib/lukluk"
    loader = (f"from config import Config\nfrom lukluk_pos import create_app\n"
              f"from bench.run import set_up, load_history, close_history\n"
              f"c = Config(); c.INSTANCE_PATH = {str(data)!r}; c.SQLALCHEMY_DATABASE_URI = {_env(root)['LUKLUK_DATABASE_URL']!r}\n"
              f"app = create_app(c); set_up(app); load_history(app, items=24000, sales=6000); close_history(app)\n")
    done = subprocess.run([str(VENV / "bin/python"), "-c", loader], cwd=old, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return base, root


def _copy_pc(base: Path, root: Path, name: str) -> Path:
    copy = base / name
    subprocess.run(["cp", "-a", str(root), str(copy)], check=True)
    # The current link and the release's venv link are relative/absolute as installed: still right.
    return copy


def test_an_upgrade_from_the_previous_commit_keeps_every_row_and_runs_the_new_version(old_shop):
    base, shop = old_shop
    root = _copy_pc(base, shop, "pc-ok")
    database = root / "var/lib/lukluk/lukluk.db"
    before = _contents(database)
    previous = os.readlink(root / "opt/lukluk/current")
    new = release_tree(base / "new-ok", "next")
    done = _install(new, root, "--venv-from", str(VENV))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Zaktualizowano do wersji next" in done.stdout and "Migracje sprawdzone na kopii bazy" in done.stdout
    assert os.readlink(root / "opt/lukluk/current") == "releases/next"
    assert (root / "opt/lukluk/current/VERSION").read_text().strip() == "next"
    assert (root / "opt/lukluk" / previous).is_dir()  # one version kept to go back to
    after = _contents(database)
    assert set(after) == set(before)
    for table in before:
        if table != "alembic_version":  # the new version's migrations may move it; nothing else moves
            assert after[table] == before[table], table
    backups = list((root / "var/lib/lukluk/backups").glob("lukluk-*.db"))
    assert backups and _contents(backups[-1]) == before  # the backup taken before the switch
    assert (root / "usr/local/bin/lukluk").is_file() and (root / "etc/systemd/system/lukluk-backup.timer").is_file()


def test_a_failing_migration_stops_the_upgrade_before_the_switch_with_the_data_unchanged(old_shop):
    base, shop = old_shop
    root = _copy_pc(base, shop, "pc-bad-migration")
    database = root / "var/lib/lukluk/lukluk.db"
    before = _contents(database)
    previous = os.readlink(root / "opt/lukluk/current")
    new = release_tree(base / "new-bad", "broken")
    _add_migration(new, root, "ffff_deliberately_failing.py", "ffffdeadbeef", doc="A migration that fails half-way.",
                   upgrade='    op.execute("UPDATE category SET name = name || \' (zepsuta)\'")\n'
                           '    raise RuntimeError("deliberately failing migration")')
    done = _install(new, root, "--venv-from", str(VENV))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Aktualizacja przerwana: migracje nowej wersji nie przeszły na kopii bazy" in done.stderr
    assert "deliberately failing migration" in done.stderr
    assert os.readlink(root / "opt/lukluk/current") == previous
    assert not (root / "opt/lukluk/releases/broken").exists()
    assert _contents(database) == before  # alembic_version included: the live database was never touched


def test_a_version_that_does_not_start_is_rolled_back_with_the_database_from_the_backup(old_shop):
    base, shop = old_shop
    root = _copy_pc(base, shop, "pc-bad-start")
    database = root / "var/lib/lukluk/lukluk.db"
    before = _contents(database)
    previous = os.readlink(root / "opt/lukluk/current")
    new = release_tree(base / "new-dead", "dead")
    # Its migration works (on the copy and then on the live database), but its server dies at start.
    _add_migration(new, root, "eeee_renames_categories.py", "eeeefeedface", doc="A migration that changes the data.",
                   upgrade='    op.execute("UPDATE category SET name = name || \' (nowa)\'")')
    serve = new / "lukluk_pos/serve.py"
    serve.write_text(serve.read_text().replace("def main(", "def main(*_a, **_k):\n    raise SystemExit(3)\n\n\n"
                                                               "def _main_that_was(", 1))
    done = _install(new, root, "--venv-from", str(VENV))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Aktualizacja cofnięta: wersja dead nie odpowiada" in done.stderr
    assert os.readlink(root / "opt/lukluk/current") == previous
    assert not (root / "opt/lukluk/releases/dead").exists()
    assert _contents(database) == before  # the renamed categories are gone with the rest of the attempt
