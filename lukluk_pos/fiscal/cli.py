"""``flask --app wsgi fiscal status``: what the fiscal printer says about itself. It never prints a
fiscal document (no receipt, no daily report)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.money import format_money
from . import service

fiscal = AppGroup("fiscal", help="The fiscal printer.")


@fiscal.command("status")
def status() -> None:
    """Read the fiscal printer: state, VAT table, counters, totals since its last daily report."""
    report = service.device_report()
    click.echo(f"device: {report['spec']}" + (" (LUKLUK_FISCAL_PRINTER)" if report["from_environment"] else ""))
    if report["spec"] == "none":
        click.echo("no fiscal printer is set")
        return
    if "error" in report:
        click.echo(f"error: {report['error']}")
        raise SystemExit(1)
    state = report["status"]
    click.echo(f"model: {state.model}")
    click.echo("state: ready" if state.ready else f"state: {state.problem}")
    click.echo("VAT table: " + ", ".join(f"{slot}: {code or '-'}" for slot, code in report["vat_table"].items()))
    counters, totals = report["counters"], report["totals"]
    click.echo(f"last receipt: {counters.last_receipt}; daily reports: {counters.daily_reports}; "
               f"receipt open: {'yes' if counters.transaction_open else 'no'}")
    click.echo(f"since the last daily report: {'?' if totals.receipts is None else totals.receipts} receipts; " + ", ".join(
        f"{slot} {format_money(amount)}" for slot, amount in sorted(totals.by_slot.items())))
    if report["missing_codes"]:
        click.echo("VAT codes the device cannot register: " + ", ".join(report["missing_codes"]))
