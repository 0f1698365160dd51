"""Command-line tasks: ``flask --app wsgi demo``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask


def init_app(app: Flask) -> None:
    @app.cli.command("demo")
    @click.option("--items", default=400, show_default=True, help="Donated items to add.")
    @click.option("--days", default=7, show_default=True, help="Days of sales to simulate.")
    @click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same shop).")
    def demo(items: int, days: int, seed: int) -> None:
        """Fill the database with a realistic Polish demo shop (items and a week of sales)."""
        from ..demo import build_demo

        build_demo(items=items, days=days, seed=seed, echo=click.echo)

    @app.cli.command("backup")
    def backup_command() -> None:
        """Take a hot backup of the SQLite database into instance/backups (online backup API)."""
        from .backup import BackupError, make_backup
        from .progress import Progress

        bar = None

        def progress(done, total):
            nonlocal bar
            bar = bar or Progress("Kopia bazy (strony)", total)
            bar.advance(done - bar.done)

        try:
            path = make_backup(app.instance_path, keep_days=app.config["BACKUP_KEEP_DAYS"], progress=progress)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        if bar:
            bar.finish()
        click.echo(f"Kopia zapisana: {path} ({path.stat().st_size:,} B, integrity_check: ok)")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Restore even while a till has an open basket.")
    def restore_command(file: Path, force: bool) -> None:
        """Replace the database's contents with a backup (refused while a basket is open, unless --force)."""
        from .backup import BackupError, restore

        try:
            restore(file, force=force)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Przywrócono bazę z {file}.")
