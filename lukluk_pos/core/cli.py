"""Command-line tasks: ``flask --app wsgi demo``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    @app.cli.command("demo")
    @click.option("--items", default=400, show_default=True, help="Donated items to add.")
    @click.option("--days", default=7, show_default=True, help="Days of sales to simulate.")
    @click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same shop).")
    @click.option("--fiscal", is_flag=True, help="Sell through the built-in fiscal printer emulator.")
    def demo(items: int, days: int, seed: int, fiscal: bool) -> None:
        """Fill the database with a realistic Polish demo shop (items and a week of sales)."""
        from ..demo import build_demo

        build_demo(items=items, days=days, seed=seed, echo=click.echo, fiscal=fiscal)

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

    tokens = AppGroup("tokens", help="Read-only API tokens for the bookkeeper.")

    @tokens.command("create")
    @click.argument("name")
    @click.option("--scope", default="reports:read", show_default=True)
    def create_token(name: str, scope: str) -> None:
        """Make a token and print it once (only its hash is kept)."""
        from ..auth.service import create_token as make
        from ..extensions import db
        from .errors import DomainError

        try:
            record, token = make(name, scope)
        except DomainError as exc:
            raise click.ClickException(exc.describe()) from None
        db.session.commit()
        click.echo(f"Token {record.id} ({record.name}, {record.scope}) — zapisz go teraz, nie pokażemy go ponownie:")
        click.echo(token)

    @tokens.command("list")
    def list_tokens() -> None:
        """Show every token: number, name, scope, made, revoked."""
        from ..auth.service import tokens as all_tokens

        for record in all_tokens():
            state = f"unieważniony {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "aktywny"
            click.echo(f"{record.id}\t{record.name}\t{record.scope}\t{record.created_at:%Y-%m-%d}\t{state}")

    @tokens.command("revoke")
    @click.argument("token_id", type=int)
    def revoke(token_id: int) -> None:
        """Revoke a token for good."""
        from ..auth.service import revoke_token
        from ..extensions import db
        from .errors import DomainError

        try:
            record = revoke_token(token_id)
        except DomainError as exc:
            raise click.ClickException(exc.describe()) from None
        db.session.commit()
        click.echo(f"Token {record.id} ({record.name}) unieważniony.")

    app.cli.add_command(tokens)
