"""The ground floor's command-line tasks: ``flask backup`` and ``flask restore``. Each area registers its
own commands (``auth``: tokens; ``demo``; ``printing``, ``fiscal``, ``invoicing``)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask


def init_app(app: Flask) -> None:
    @app.cli.command("backup")
    @click.option("--no-offsite", is_flag=True, help="Keep the copy on this PC only (do not send it off).")
    def backup_command(no_offsite: bool) -> None:
        """Back up the database into instance/backups (SQLite online backup or pg_dump), check it, and send
        it off the machine to the places set under Settings → Backups (the nightly timer runs this)."""
        from ..extensions import db
        from .backup import BackupError, take
        from .progress import Progress

        bar = None

        def progress(done, total):
            nonlocal bar
            bar = bar or Progress("Kopia bazy (strony)", total)
            bar.advance(done - bar.done)

        try:
            path, sent = take(app.instance_path, keep_days=app.config["BACKUP_KEEP_DAYS"], url=db.engine.url,
                              progress=progress, send=not no_offsite)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        if bar:
            bar.finish()
        click.echo(f"Kopia zapisana: {path} ({path.stat().st_size:,} B, sprawdzona)")
        if sent is None:
            click.echo("Poza komputer: nie wysłano (brak ustawionych miejsc)." if not no_offsite else
                       "Poza komputer: pominięto (--no-offsite).")
            return
        for place in sent.places:
            click.echo(f"Poza komputer → {place.address}: "
                       + (f"wysłana i odczytana (kopia {place.snapshot})" if place.state == "ok" else place.error))
        if sent.failed():
            raise SystemExit(1)

    @app.cli.command("restore")
    @click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--from", "place", metavar="ADDRESS",
                  help="Restore from off the machine: the USB stick's folder or the restic repository, as on "
                       "the recovery sheet.")
    @click.option("--key", help="The key from the recovery sheet (with --from).")
    @click.option("--snapshot", default="latest", show_default=True, help="Which copy (with --from).")
    @click.option("--list", "list_only", is_flag=True, help="List the copies at --from and stop.")
    @click.option("--force", is_flag=True, help="Restore even while a till is open or has a basket.")
    def restore_command(file: Path | None, place: str | None, key: str | None, snapshot: str, list_only: bool,
                        force: bool) -> None:
        """Replace the database's contents with a backup: a FILE on this PC, or the newest copy (or
        --snapshot) from off the machine with --from and --key. The database it replaces is backed up
        first; then the schema is brought to this version. Refused while a till is open, unless --force."""
        from . import offsite
        from .backup import BackupError, restore

        if (file is None) == (place is None):
            raise click.UsageError("Podaj plik kopii albo --from ADRES (z arkusza odtworzeniowego).")
        if place is not None and not key:
            raise click.UsageError("Podaj --key: klucz z arkusza odtworzeniowego.")
        try:
            if place is not None and list_only:
                found = offsite.copies_at(place, key, Path(app.instance_path) / "backups")
                for copy in found:
                    click.echo(f"{copy['short_id']}  {copy['time'][:19].replace('T', ' ')}  "
                               f"{', '.join(copy.get('paths', []))}")
                return
            if place is not None:
                click.echo(f"Pobieranie kopii z {place}…")
                file = offsite.fetch(place, key, Path(app.instance_path) / "backups", snapshot=snapshot)
                click.echo(f"Pobrano: {file.name} ({file.stat().st_size:,} B)")
            before = restore(file, force=force, keep_days=app.config["BACKUP_KEEP_DAYS"])
        except (BackupError, offsite.OffsiteError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Poprzednia baza zachowana jako {before}.")
        if place is not None:
            _put_back_sealing_key(app, file)
        from flask_migrate import upgrade

        upgrade()  # a copy from an older version is brought to this one's schema
        from ..extensions import db
        from . import audit

        # Written into the restored database, so the manager sees it beside the days it brought back.
        audit.record("backup.restore", user_id=None, copy=file.name, previous=before.name)
        db.session.commit()
        click.echo(f"Przywrócono bazę z {file}.")

    _upgrade_check(app)


def _put_back_sealing_key(app: Flask, fetched: Path) -> None:
    """The sealing key that came with an off-machine copy goes where the restored database expects it (the
    KSeF token and certificate are sealed with it); this PC's own, if different, is kept beside."""
    import os
    from datetime import datetime

    from . import offsite, private

    came = offsite.sealing_key_beside(fetched)
    if came is None:
        return
    target = Path(app.instance_path) / offsite.SEALING_KEY
    if target.is_file() and target.read_bytes() != came.read_bytes():
        os.replace(target, target.with_name(f"{target.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}"))
    if not target.is_file():
        private.new_file(target).write_bytes(came.read_bytes())
    came.unlink()
    click.echo("Klucz pieczętujący (token KSeF, certyfikat) przywrócony z kopii.")


def _upgrade_check(app: Flask) -> None:
    @app.cli.command("upgrade-check")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def upgrade_check_command(file: Path) -> None:
        """Try this version's migrations on a copy of a backup FILE (the live database is not touched):
        the upgrade runs it before it switches versions."""
        from .backup import BackupError, try_migrations

        try:
            click.echo(try_migrations(file, app.instance_path))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
