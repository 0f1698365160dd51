"""``flask --app wsgi ksef send|status``: work the KSeF queue now (as the worker does) and see it."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..extensions import db
from . import ksef
from .models import Invoice

ksef_cli = AppGroup("ksef", help="Invoices and KSeF.")


@ksef_cli.command("send")
@click.option("--rounds", default=20, show_default=True, help="Rounds of the queue at most.")
def send(rounds: int) -> None:
    """Resolve invoices left "sending" by a crash, then send what is due and ask about what was sent."""
    if ksef.connection() is None:
        raise click.ClickException("KSeF is off: choose its environment under Ustawienia faktur (or LUKLUK_KSEF_URL).")
    recovered = ksef.recover()
    moved = 0
    for number in range(rounds):
        step = ksef.process_due()
        moved += step
        click.echo(f"round {number + 1}: {step} invoice(s) moved on", err=True)
        if not step:
            break
    click.echo(f"resolved after a crash: {recovered}; moved on: {moved}")
    status.callback()


@ksef_cli.command("status")
def status() -> None:
    """How many invoices are in each KSeF state."""
    rows = db.session.execute(select(Invoice.ksef_status, func.count()).group_by(Invoice.ksef_status)).all()
    click.echo(", ".join(f"{state.value}: {count}" for state, count in sorted(rows, key=lambda r: r[0].value))
               or "no invoices")
