"""The invoicing pages: issue an invoice for a sale (the till), the invoice itself (A4 page, PDF, FA(3)
XML), the manager's list with anything KSeF has not taken, the buyers, the bookkeeper's month file and
the administrator's settings."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..auth.access import sees_personal_data
from ..core import audit
from ..core.access import Access, access
from ..core.errors import DomainError
from ..core.web import show_on_form
from ..extensions import db
from . import bp, documents, ksef, service
from .forms import InvoiceForm, InvoiceSettingsForm
from .models import Invoice, KsefStatus


def _today() -> date:
    from ..cash.service import today

    return today()


@bp.route("/invoices/new", methods=["GET", "POST"])
@access(Access.TILL)
def new():
    """Turn a completed sale into an invoice: the receipt's number, the buyer found by NIP or typed."""
    form = InvoiceForm()
    sale = buyer = None
    if request.method == "GET" and request.args.get("receipt"):
        form.receipt.data = request.args["receipt"][:20]
        try:  # which sale it is, said as soon as the form opens (its number, date and amount)
            sale = service.sale_for(form.receipt.data)
        except DomainError:
            sale = None
    if form.validate_on_submit():
        try:
            sale = service.sale_for(form.receipt.data)
            done = service.invoice_of(sale)
            if done is not None:
                flash(_("This sale is already invoiced: %(number)s.", number=done.number), "error")
                if sees_personal_data(done.issued_by_id, done.issued_at):
                    return redirect(url_for("invoicing.show", invoice_id=done.id))
                flash(_("A manager can print it again (Invoices)."), "info")
                return render_template("invoicing/new.html", form=form, sale=None, buyer=None), 409
            if request.form.get("action") == "find":
                buyer = service.find_buyer(form.nip.data) if form.kind.data == "business" else None
                if buyer is not None:
                    form.name.data, form.address1.data = buyer.name, buyer.address1
                    form.address2.data, form.email.data = buyer.address2, buyer.email
                elif form.kind.data == "business":
                    flash(_("No buyer with this NIP yet: type their name and address."), "info")
                return render_template("invoicing/new.html", form=form, sale=sale, buyer=buyer)
            buyer = service.save_buyer(kind=form.kind.data, nip=form.nip.data, name=form.name.data,
                                       address1=form.address1.data, address2=form.address2.data,
                                       email=form.email.data, country=form.country.data, tax_id=form.tax_id.data,
                                       user=g.user)
            invoice = service.issue(sale_id=sale.id, buyer_id=buyer.id, user=g.user, today=_today())
        except DomainError as exc:
            db.session.rollback()
            show_on_form(exc, form)
            return render_template("invoicing/new.html", form=form, sale=sale, buyer=None), 422
        flash(_("Invoice %(number)s issued.", number=invoice.number), "success")
        return redirect(url_for("invoicing.show", invoice_id=invoice.id))
    status = 422 if form.errors else 200
    return render_template("invoicing/new.html", form=form, sale=sale, buyer=buyer), status


def _invoice(invoice_id: int) -> Invoice:
    """An invoice the person signed in may read (``sees_personal_data``); any other id is a 404."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or not sees_personal_data(invoice.issued_by_id, invoice.issued_at):
        abort(404)
    return invoice


@bp.get("/invoices/<int:invoice_id>")
@access(Access.TILL)
def show(invoice_id: int):
    """The invoice as an A4 page to print, with its KSeF state and the PDF and XML beside it."""
    invoice = _invoice(invoice_id)
    sheet = documents.paper(invoice)
    codes = [(Markup(code.svg()), code.label) for code in sheet.codes]
    return render_template("invoicing/invoice.html", invoice=invoice, sheet=sheet, codes=codes,
                           ksef_on=service.ksef_enabled(service.settings()),
                           corrections=db.session.scalars(db.select(Invoice).where(Invoice.corrects_id == invoice.id)
                                                          .order_by(Invoice.id)).all())


@bp.get("/invoices/<int:invoice_id>.pdf")
@access(Access.TILL)
def pdf(invoice_id: int):
    invoice = _invoice(invoice_id)
    try:
        body = documents.pdf(documents.paper(invoice))
    except documents.PdfUnavailable:
        return render_template("error.html", code=503, message=_(
            "No font with Polish letters was found for the PDF: the administrator sets LUKLUK_PDF_FONT to a TrueType "
            "font. The invoice page itself can be printed meanwhile.")), 503
    name = invoice.number.replace("/", "-")
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}.pdf"', "Cache-Control": "no-store"})


@bp.get("/invoices/<int:invoice_id>.xml")
@access(Access.TILL)
def xml(invoice_id: int):
    invoice = _invoice(invoice_id)
    if not invoice.xml:
        abort(404)
    name = invoice.number.replace("/", "-")
    return Response(invoice.xml.encode("utf-8"), mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{name}.xml"', "Cache-Control": "no-store"})


@bp.get("/invoices/<int:invoice_id>/upo.xml")
@access(Access.TILL)
def upo(invoice_id: int):
    """KSeF's official receipt of the invoice (UPO), byte for byte as downloaded."""
    invoice = _invoice(invoice_id)
    if not invoice.ksef_upo:
        abort(404)
    name = invoice.number.replace("/", "-")
    return Response(invoice.ksef_upo, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="UPO-{name}.xml"', "Cache-Control": "no-store"})


def _month(text: str | None) -> tuple[date, date]:
    from ..core.tables import month_asked

    return month_asked(text, _today())


@bp.get("/invoices")
@access(Access.MANAGER)
def index():
    """The month's invoices, and above them anything KSeF has not taken (unsent, offline, rejected)."""
    start, end = _month(request.args.get("month"))
    today = _today()
    return render_template("invoicing/index.html", invoices=service.invoices(start, end), month=f"{start:%Y-%m}",
                           attention=service.attention(), ksef_on=service.ksef_enabled(service.settings()),
                           due_today=service.offline_due(today, today), overdue=service.offline_due(None, today))


@bp.get("/invoices/month.<fmt>")
@access(Access.REPORTS)
def month_file(fmt: str):
    """The bookkeeper's month file: every invoice and correction with its KSeF number."""
    from ..core.tables import download
    from ..core.web import shop

    if fmt not in ("csv", "xlsx"):
        abort(404)
    start, end = _month(request.args.get("month"))
    table = service.month_table(service.invoices(start, end), f"{start:%Y-%m}")
    return download(table, fmt, f"lukluk-invoices-{start:%Y-%m}", shop().csv_dialect)


@bp.post("/invoices/<int:invoice_id>/send")
@access(Access.MANAGER)
def send_again(invoice_id: int):
    invoice = _invoice(invoice_id)
    ksef.send_again(invoice, user_id=g.user.id)
    flash(_("The invoice will be sent to KSeF again."), "success")
    return redirect(url_for("invoicing.index"))


@bp.get("/buyers")
@access(Access.MANAGER)
def buyers():
    query = request.args.get("q", "")[:60]
    try:
        found = service.buyers(query)
    except DomainError:
        found = []
    return render_template("invoicing/buyers.html", buyers=found, query=query)


@bp.route("/admin/invoicing", methods=["GET", "POST"])
@access(Access.ADMIN)
def settings():
    """Numbering, the exemption wording and KSeF: environment, token, consumers, the offline certificate."""
    config = service.settings()
    form = InvoiceSettingsForm(obj=config if request.method == "GET" else None)
    if request.method == "GET":
        form.ksef_token.data = form.offline_certificate.data = form.offline_key.data = ""
    if form.validate_on_submit():
        config.series, config.correction_series = form.series.data, form.correction_series.data
        config.place, config.exemption_basis = form.place.data, form.exemption_basis.data
        config.exemption_field = form.exemption_field.data
        config.ksef_environment = form.ksef_environment.data
        config.send_consumer_invoices = form.send_consumer_invoices.data
        if form.ksef_token.data:
            config.ksef_token = form.ksef_token.data
        if form.offline_certificate.data:
            config.offline_certificate = form.offline_certificate.data
            config.offline_key = form.offline_key.data
        audit.record("settings.invoicing", user_id=g.user.id, obj=config, series=config.series,
                     ksef=config.ksef_environment, consumers=config.send_consumer_invoices,
                     token_changed=bool(form.ksef_token.data))
        flash(_("Saved."), "success")
        return redirect(url_for("invoicing.settings"))
    return render_template("invoicing/settings.html", form=form, config=config, has_token=bool(config.ksef_token),
                           unreadable=service.secrets_unreadable()), 422 if form.errors else 200


@bp.app_template_global()
def ksef_state_label(invoice: Invoice) -> str:
    labels = {KsefStatus.LOCAL: _("outside KSeF"), KsefStatus.WAITING: _("waits for the corrected invoice"),
              KsefStatus.QUEUED: _("to be sent"), KsefStatus.SENDING: _("being sent"),
              KsefStatus.SENT: _("sent, being checked"), KsefStatus.ACCEPTED: _("in KSeF"),
              KsefStatus.REJECTED: _("rejected")}
    label = labels[invoice.ksef_status]
    if invoice.ksef_status is KsefStatus.WAITING and invoice.corrects is not None \
            and invoice.corrects.ksef_status is KsefStatus.REJECTED:
        label = _("waits for the corrected invoice, which KSeF rejected: the manager settles it first")
    return f"{label} (offline24)" if invoice.offline and invoice.ksef_status is not KsefStatus.LOCAL else label
