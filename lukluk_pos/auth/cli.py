"""The bookkeeper's read-only API tokens from the command line: ``flask tokens create NAME``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

tokens = AppGroup("tokens", help="Read-only API tokens for the bookkeeper.")

@tokens.command("create")
@click.argument("name")
@click.option("--scope", default="reports:read", show_default=True)
def create_token(name: str, scope: str) -> None:
    """Make a token and print it once (only its hash is kept)."""
    from ..core.errors import DomainError
    from ..extensions import db
    from .service import create_token as make

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
    from .service import tokens as all_tokens

    for record in all_tokens():
        state = f"unieważniony {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "aktywny"
        click.echo(f"{record.id}\t{record.name}\t{record.scope}\t{record.created_at:%Y-%m-%d}\t{state}")

@tokens.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token for good."""
    from ..core.errors import DomainError
    from ..extensions import db
    from .service import revoke_token

    try:
        record = revoke_token(token_id)
    except DomainError as exc:
        raise click.ClickException(exc.describe()) from None
    db.session.commit()
    click.echo(f"Token {record.id} ({record.name}) unieważniony.")

