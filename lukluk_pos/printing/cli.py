"""``flask --app wsgi printer test``: print the test page now, straight to the configured printer."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from . import devices, document, render, service

printer = AppGroup("printer", help="The receipt printer.")


@printer.command("test")
@click.option("--printer", "spec_text", default=None, help="A printer setting to use instead of the configured one.")
def test_command(spec_text: str | None) -> None:
    """Print the test page (Polish letters, columns, a barcode) and say whether it worked."""
    try:
        config = service.settings()
        shop = config.shop
    except SQLAlchemyError:  # a database without tables yet: the printer can still be tried
        db.session.rollback()
        config = service.PrinterSettings(devices.parse(None), "TM-T20II", 80, False, False)
        shop = None
    from flask import current_app

    spec = devices.parse(spec_text or current_app.config.get("PRINTER") or str(config.spec))
    if spec.kind == "preview":
        raise click.ClickException("No printer is set (preview). Set LUKLUK_PRINTER, e.g. network:192.168.1.50")
    data = render.escpos_bytes(document.test_page(shop, config.columns, str(spec)), profile=config.profile,
                               fs_dot=config.fs_dot)
    try:
        devices.send(spec, data)
    except devices.PrinterUnavailable as exc:
        raise click.ClickException(f"The printer did not print: {exc}") from exc
    click.echo(f"Test page sent to {spec} ({len(data)} bytes, profile {config.profile}, {config.columns} columns).")
