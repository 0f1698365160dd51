"""The till page and the refund page (routes on ``till.bp``)."""
from __future__ import annotations

import secrets

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import ValidationError

from ..api.schemas import RefundIn
from ..api.spec import translate
from ..auth.service import managers
from ..cash import service as cash
from ..cash.models import DayStatus
from ..catalog import service as catalog
from ..core import validation
from ..core.access import Access, access
from ..core.errors import DomainError
from ..core.money import format_money
from ..extensions import db
from ..fiscal import service as fiscal
from ..till import bp, queries, refunds, service
from ..till.models import PaymentMethod, Till


def _till() -> Till:
    return service.till(service.till_id_for(g.login))


@bp.get("/till")
@access(Access.TILL)
def till_page():
    """The till: scan, quick buttons, basket, total and payment on one page."""
    current = _till()
    categories = catalog.categories()
    return render_template(
        "till/till.html", till=current, categories=categories, off_till=catalog.kept_off_the_till(categories),
        basket=queries.basket(service.open_basket(current.id)), managers=managers(),
        quick_cash=[1000, 2000, 5000, 10000, 20000], session=cash.current_session(current.id), today=cash.today(),
        day_closed=cash.day_status(cash.today()) is DayStatus.CLOSED,
        fiscal_printer=fiscal.printer_mode(),
    )


@bp.post("/till/scan")
@access(Access.TILL)
def scan():
    """A scan that arrived before the page's script was ready (or without it): add it all the same."""
    try:
        till_id = _till().id
        cash.ensure_current_session(till_id)
        service.add_code(till_id, g.user, request.form.get("scan", "")[:32])
    except DomainError as exc:
        db.session.rollback()
        flash(exc.describe(), "error")
    return redirect(url_for("till.till_page"))


@bp.get("/till/baskets")
@access(Access.MANAGER)
def baskets():
    """Baskets left open on every till: how old, how many lines, the total; a manager cancels one."""
    from ..core.models import utcnow

    now = utcnow()
    rows = [(sale, service.totals(sale), int((now - sale.opened_at).total_seconds() // 60))
            for sale in service.open_baskets()]
    return render_template("till/baskets.html", rows=rows)


@bp.post("/till/baskets/<int:sale_id>/void")
@access(Access.MANAGER)
def void_basket(sale_id: int):
    try:
        done = service.void_left_basket(sale_id, g.user, request.form.get("reason", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.describe(), "error")
    else:
        flash(_("The basket at %(till)s is cancelled; its items are back on the floor.", till=done.till.name), "success")
    return redirect(url_for("till.baskets"))


@bp.get("/till/refund")
@access(Access.TILL)
def refund_page():
    """Find a sale by its receipt number and choose what to refund."""
    number = request.args.get("number", "").strip()
    sale = None
    if number:
        try:
            sale = queries.sale(service.by_number(number), with_refundable=True)
        except DomainError as exc:
            flash(exc.describe(), "error")
    return render_template("till/refund.html", number=number, sale=sale, managers=managers(),
                           key=secrets.token_hex(16), fiscal_printer=fiscal.printer_mode()), \
        200 if sale or not number else 404


@bp.post("/till/refund/<int:sale_id>")
@access(Access.TILL)
def refund(sale_id: int):
    """Refund the chosen lines as a new document linked to the sale."""
    form = request.form
    lines = []
    for name, value in form.items():
        if name.startswith("qty-") and value.strip() not in ("", "0"):
            line_id = name[4:]
            lines.append({"line_id": validation.whole_number(line_id) or 0,
                          "quantity": validation.whole_number(value) or -1,
                          "restock": form.get(f"restock-{line_id}") == "1"})
    approval = None
    if form.get("manager_id"):
        approval = {"manager_id": validation.whole_number(form["manager_id"]) or 0,
                    "pin": form.get("pin", "")[:6]}
    number = form.get("number", "")
    try:
        data = RefundIn.model_validate({"key": form.get("key", ""), "lines": lines, "method": form.get("method", ""),
                                        "reason": form.get("reason", ""), "approval": approval,
                                        "fiscal_register": form.get("fiscal_register") or None,
                                        "buyer_name": form.get("buyer_name", "")[:120] or None})
    except ValidationError as exc:
        flash(translate(exc).describe(), "error")
        return redirect(url_for("till.refund_page", number=number)), 303
    try:
        doc = refunds.refund(
            user=g.user, till_id=_till().id, sale_id=sale_id, method=PaymentMethod(data.method),
            reason=data.reason, approval=service.Approval(data.approval.manager_id, data.approval.pin)
            if data.approval else None, key=data.key, register=data.fiscal_register, buyer_name=data.buyer_name,
            lines=[refunds.RefundLineIn(x.line_id, x.quantity, x.restock) for x in data.lines])
    except DomainError as exc:
        db.session.rollback()
        flash(exc.describe(), "error")
        return redirect(url_for("till.refund_page", number=number)), 303
    entry = fiscal.register_entry_of(doc)  # written by the fiscal area as it heard of the refund
    if entry is not None:  # fiscal-printer mode: the return protocol to print and sign, no receipt
        flash(_("Refund no. %(number)s: pay back %(amount)s. Print the protocol for the buyer to sign.",
                number=doc.number, amount=format_money(doc.total_minor)), "success")
        return redirect(url_for("fiscal.protocol", entry_id=entry.id)), 303
    flash(_("Refund no. %(number)s: pay back %(amount)s (%(method)s).", number=doc.number,
            amount=format_money(doc.total_minor),
            method=_("cash") if doc.payments[0].method is PaymentMethod.CASH else _("card")), "success")
    return redirect(url_for("till.till_page"))
