"""The ground floor's command-line tasks: ``flask backup`` and ``flask restore``. Each area registers its
own commands (``auth``: tokens; ``demo``; ``printing``, ``fiscal``, ``invoicing``)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask


def init_app(app: Flask) -> None:
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
    @click.option("--force", is_flag=True, help="Restore even while a till is open or has a basket.")
    def restore_command(file: Path, force: bool) -> None:
        """Replace the database's contents with a backup (refused while a till is open, unless --force)."""
        from .backup import BackupError, restore

        try:
            restore(file, force=force)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Przywrócono bazę z {file}.")

