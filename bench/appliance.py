"""``make bench`` (the appliance's part, #29): on the five-year shop, how long the counter PC's own chores take
— the checked local backup, its copy off the machine (restic to its REST server on 127.0.0.1: sent, read back
and compared, pruned), the restore on a "new PC" from that copy, and an upgrade's migrations tried on a copy.

    python -m bench.appliance [--items N] [--sales N] [--out FILE]

Needs restic and rclone (``make restic``). The shop is bulk-loaded as in ``bench.run`` (its days are not
closed: the copy's size is what matters here)."""
from __future__ import annotations

import argparse
import getpass
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from config import Config
from lukluk_pos import create_app
from lukluk_pos.core import backup, offsite
from lukluk_pos.extensions import db

from .run import build_app, load_history, set_up


def _timed(what: str, action):
    print(f"  {what}…", flush=True)
    started = time.perf_counter()
    value = action()
    seconds = round(time.perf_counter() - started, 2)
    print(f"  {what}: {seconds} s", flush=True)
    return seconds, value


def release_tree(dest: Path, version: str) -> Path:
    """This checkout's files as a release archive holds them (tracked and new, not ignored), with VERSION."""
    project = Path(__file__).resolve().parent.parent
    names = subprocess.run(["git", "-C", str(project), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, names):
        source = project / name.decode()
        if source.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (dest / "VERSION").write_text(version + "\n")
    return dest


def time_upgrade(folder: Path, database: Path) -> float:
    """install.sh from one release, the five-year database put in its place, then install.sh from the next:
    the whole upgrade (backup, migrations on a copy, switch, start, health) timed. Under --root, with this
    virtualenv for both releases (pip is not timed)."""
    root = folder / "pc"

    def install(tree: Path) -> None:
        done = subprocess.run(["bash", str(tree / "install.sh"), "--root", str(root), "--owner", getpass.getuser(),
                               "--venv-from", sys.prefix], capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])

    install(release_tree(folder / "release-a", "bench-a"))
    data = root / "var/lib/lukluk"
    shutil.copy2(database, data / "lukluk.db")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = root / "etc/lukluk/lukluk.env"
    env.write_text(env.read_text().replace("LUKLUK_PORT=5000", f"LUKLUK_PORT={port}"))
    tree = release_tree(folder / "release-b", "bench-b")
    started = time.perf_counter()
    install(tree)
    return round(time.perf_counter() - started, 2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=520_000)
    parser.add_argument("--sales", type=int, default=210_000)
    parser.add_argument("--out", default="bench-appliance.json")
    args = parser.parse_args(argv)
    for program in ("restic", "rclone"):
        if shutil.which(program) is None:
            print(f"{program} is not installed (make restic): the appliance's figures are not measured")
            return 0
    from tests.offsite_support import rest_server

    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"Five-year shop ({args.items:,} items, {args.sales:,} sales):", flush=True)
        shop = build_app(folder / "shop")
        set_up(shop)
        load_history(shop, items=args.items, sales=args.sales)
        database = folder / "shop" / "bench.db"
        results["database_bytes"] = database.stat().st_size
        with rest_server(folder / "rest") as (address, _server):
            shop_context = shop.app_context()
            shop_context.push()
            instance = shop.instance_path
            offsite.write_settings(instance, offsite.Settings(repository=address))
            results["backup_s"], path = _timed("local backup (online copy + integrity_check)", lambda: backup.make_backup(
                instance, keep_days=30, url=db.engine.url))
            results["offsite_first_s"], status = _timed("off-machine copy, first (init, send, read back, prune)",
                                                        lambda: offsite.send(instance, path))
            assert status.places[0].state == "ok", status.places[0].error
            results["backup_and_offsite_s"], (path, status) = _timed(
                "backup + off-machine copy, a day later (what runs after each close)",
                lambda: backup.take(instance, keep_days=30, url=db.engine.url))
            assert status.places[0].state == "ok", status.places[0].error
            results["upgrade_check_s"], _ = _timed("an upgrade's migrations tried on a copy",
                                                   lambda: backup.try_migrations(path, instance))
            key = offsite.key(instance)
            db.session.remove()
            shop_context.pop()  # the restore's command runs in the new PC's app, not inside the shop's

            config = Config()
            config.INSTANCE_PATH = str(folder / "new-pc" / "instance")
            config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'new-pc' / 'lukluk.db'}"
            new_pc = create_app(config)
            with new_pc.app_context():
                from flask_migrate import upgrade

                upgrade()

            def restore():
                done = new_pc.test_cli_runner().invoke(args=["restore", "--from", address, "--key", key])
                assert done.exit_code == 0, done.output

            results["restore_s"], _ = _timed("restore on a new PC from the off-machine copy", restore)
        results["upgrade_s"], _ = _timed("an upgrade with install.sh (backup, migrations on a copy, switch, "
                                         "start, /health)", lambda: time_upgrade(folder, path))  # the checked backup: a self-contained file
        results["meta"] = {"items": args.items, "sales": args.sales,
                           "when": datetime.now().isoformat(timespec="seconds")}
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
