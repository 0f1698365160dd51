"""The fiscal printer's pages: its setting and state, sales waiting for a fiscal receipt, the registers."""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core import audit
from ..core.access import Access, access
from ..core.errors import DomainError
from ..core.web import shop as current_shop
from ..extensions import db
from . import bp, service
from .device import FiscalError
from .forms import FiscalPrinterForm, ReasonForm
from .models import FiscalRegisterEntry, RegisterKind


@bp.route("/admin/fiscal", methods=["GET", "POST"])
@access(Access.ADMIN)
def printer():
    """Set the fiscal printer and see what it says: its state, VAT table, counters and day totals."""
    shop = current_shop()
    form = FiscalPrinterForm()
    machine = current_app.config.get("FISCAL_PRINTER")
    if machine:  # this machine's setting decides: shown as it is, not to be typed over here
        form.fiscal_printer.data = machine
        form.fiscal_printer.render_kw = {"readonly": True, "aria-readonly": "true"}
        if request.method == "POST":
            flash(_("This machine's LUKLUK_FISCAL_PRINTER setting decides the fiscal printer: it is changed there, "
                    "not here."), "error")
            return redirect(url_for("fiscal.printer"))
    elif request.method == "GET":
        form.fiscal_printer.data = shop.fiscal_printer
    if form.validate_on_submit():
        shop.fiscal_printer = (form.fiscal_printer.data or "").strip()
        audit.record("settings.fiscal_printer", user_id=g.user.id, obj=shop, fiscal_printer=shop.fiscal_printer)
        flash(_("Saved."), "success")
        return redirect(url_for("fiscal.printer"))
    # The device is asked only when the admin asks ("Ask the fiscal printer"): opening the settings page
    # never connects to whatever a setting names.
    asked = request.method == "GET" and request.args.get("ask") == "1"
    return render_template("fiscal/printer.html", form=form, shop=shop, report=service.device_report(ask=asked),
                           waiting=service.waiting()), 422 if form.errors else 200


@bp.get("/fiscal/waiting")
@access(Access.MANAGER)
def waiting():
    """Sales paid for whose fiscal receipt has not printed (or cannot be told): retry, settle or void."""
    return render_template("fiscal/waiting.html", rows=service.waiting(), form=ReasonForm())


@bp.post("/fiscal/waiting/<int:sale_id>/retry")
@access(Access.MANAGER)
def retry(sale_id: int):
    """Send a waiting sale to the fiscal printer again (its counters decide first)."""
    try:
        row = service.register(sale_id)
        flash(_("Fiscal receipt no. %(number)s printed.", number=row.receipt_number), "success")
    except FiscalError as exc:
        flash(exc.describe(), "error")
    return redirect(url_for("fiscal.waiting"))


@bp.post("/fiscal/waiting/<int:sale_id>/settle")
@access(Access.MANAGER)
def settle(sale_id: int):
    """Settle a sale from the paper roll: printed (with its number) or not printed; or void it."""
    form = ReasonForm()
    action = request.form.get("action")
    if not form.validate_on_submit() or action not in ("printed", "not_printed", "void"):
        flash(_("Give the reason (and, for a printed receipt, its number)."), "error")
        return redirect(url_for("fiscal.waiting"))
    try:
        if action == "void":
            service.void(sale_id, g.user, reason=form.reason.data)
        else:
            service.settle_by_hand(sale_id, g.user, printed=action == "printed", number=form.number.data,
                                   reason=form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.describe(), "error")
        return redirect(url_for("fiscal.waiting"))
    flash(_("Saved."), "success")
    return redirect(url_for("fiscal.waiting"))


@bp.get("/fiscal/returns/<int:entry_id>")
@access(Access.TILL)
def protocol(entry_id: int):
    """The return (or correction) protocol for an A4 sheet: what came back, for how much, two signatures."""
    entry = db.get_or_404(FiscalRegisterEntry, entry_id)
    return render_template("fiscal/protocol.html", entry=entry, shop=current_shop(),
                           goods=service.register_goods(entry), rate_label=service.rate_label)


def _month(text: str | None) -> tuple[date, date]:
    from ..cash.service import today as cash_today  # the cash area imports this package: import late
    from ..core.tables import month_asked

    return month_asked(text, cash_today())


@bp.get("/fiscal/registers")
@bp.get("/fiscal/registers.<fmt>")
@access(Access.MANAGER)
def registers(fmt: str | None = None):
    """The returns and corrections registers of a month, on the page or as CSV/XLSX for the accountant."""
    from ..core.tables import download
    start, end = _month(request.args.get("month"))
    kind = RegisterKind.CORRECTION if request.args.get("kind") == "correction" else RegisterKind.RETURN
    table = service.register_table(service.register_entries(start, end, kind), kind)
    name = f"lukluk-{kind.value}s-{start:%Y-%m}"
    if fmt in ("csv", "xlsx"):
        return download(table, fmt, name, current_shop().csv_dialect)
    if fmt is not None:
        abort(404)
    return render_template("fiscal/registers.html", table=table, kind=kind, month=f"{start:%Y-%m}",
                           entries=service.register_entries(start, end, kind))
