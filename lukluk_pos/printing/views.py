"""Receipts in the browser, reprints, the printer status and the admin's printer page."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core import audit
from ..core.access import Access, access
from ..core.web import shop as current_shop
from ..extensions import db
from ..till import service as till
from . import bp, render, service
from .forms import PrinterForm, printer_profiles
from .models import PrintJob


@bp.get("/receipts/<int:sale_id>")
@access(Access.TILL)
def receipt(sale_id: int):
    """The receipt as it was printed, for the screen or the browser's own printer."""
    sale = till.completed(sale_id)
    blocks, width = service.receipt_document(sale)
    return render_template("printing/receipt.html", sale=sale, paper=render.html(blocks, width))


@bp.post("/receipts/<int:sale_id>/reprint")
@access(Access.TILL)
def reprint(sale_id: int):
    """Print a copy (KOPIA) of a receipt."""
    service.reprint(till.completed(sale_id), user_id=g.user.id)
    if service.settings().spec.kind == "preview":  # nothing prints: the receipt is on this page
        flash(_("No receipt printer is set up, so nothing was printed: the receipt is below; print it in the "
                "browser."), "info")
    else:
        flash(_("A copy of the receipt is on its way to the printer."), "success")
    return redirect(url_for("printing.receipt", sale_id=sale_id))


@bp.route("/admin/printer", methods=["GET", "POST"])
@access(Access.ADMIN)
def printer():
    """Choose the printer, see the latest print jobs, print the test page."""
    shop = current_shop()
    form = PrinterForm()
    form.printer_profile.choices = printer_profiles()
    if request.method == "GET":
        form.printer.data, form.printer_profile.data = shop.printer, shop.printer_profile
        form.paper_mm.data, form.printer_fs_dot.data = shop.paper_mm, shop.printer_fs_dot
    if form.validate_on_submit():
        shop.printer = (form.printer.data or "").strip()
        shop.printer_profile, shop.paper_mm = form.printer_profile.data, form.paper_mm.data
        shop.printer_fs_dot = form.printer_fs_dot.data
        audit.record("settings.printer", user_id=g.user.id, obj=shop, printer=shop.printer,
                     profile=shop.printer_profile, paper_mm=shop.paper_mm)
        flash(_("Saved."), "success")
        return redirect(url_for("printing.printer"))
    return render_template("printing/printer.html", form=form, settings=service.settings(),
                           jobs=service.recent_jobs(), status=service.status()), 422 if form.errors else 200


@bp.post("/admin/printer/test")
@access(Access.ADMIN)
def test_page():
    """Queue the test page (Polish letters and a barcode)."""
    service.queue_test_page(user_id=g.user.id)
    if service.settings().spec.kind == "preview":
        flash(_("No receipt printer is set up, so nothing was printed: set one above first."), "error")
    else:
        flash(_("The test page is on its way to the printer."), "success")
    return redirect(url_for("printing.printer"))


@bp.post("/admin/printer/jobs/<int:job_id>/retry")
@access(Access.ADMIN)
def retry(job_id: int):
    """Try a failed job again now."""
    service.retry(db.get_or_404(PrintJob, job_id), user_id=g.user.id)
    return redirect(url_for("printing.printer"))
