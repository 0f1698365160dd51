"""Intake pages: donations, fast pricing, labels (ticket printer and A4 sheets), guide and rotation."""
from __future__ import annotations

import json
from io import BytesIO

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from wtforms import SelectChoice

from ..auth.access import sees_personal_data
from ..catalog import service as catalog
from ..catalog.codes import is_valid_ean13
from ..catalog.models import Category, Item
from ..core.access import Access, access
from ..core.errors import DomainError, InvalidInput
from ..core.models import utcnow
from ..core.money import format_input, format_money
from ..core.validation import money, record_id, whole_number
from ..core.web import show_on_form
from ..extensions import db
from ..printing import document as printed
from ..printing import service as printing
from ..printing.models import JobKind
from . import bp, service
from .forms import BatchForm, ColoursForm, GuideForm, ItemForm, PullForm
from .models import Condition, DonationBatch, Donor, PriceGuide

#: A4 sticker sheets: columns × rows, label width and height in millimetres.
LAYOUTS = {"3x8": (3, 8, 70.0, 37.0), "4x10": (4, 10, 52.5, 29.7), "5x13": (5, 13, 38.0, 21.2)}


@bp.route("/", methods=["GET", "POST"])
@access(Access.TILL)
def batches():
    """Donations taken in, newest first, and a form for the next one."""
    form = BatchForm()
    if form.validate_on_submit():
        try:
            found = service.create_batch(by=g.user, source=form.source.data, notes=form.notes.data,
                                         donor_name=form.donor_name.data, donor_contact=form.donor_contact.data,
                                         consent=form.consent.data, consent_purpose=form.consent_purpose.data)
        except DomainError as exc:
            show_on_form(exc, form)
        else:
            return redirect(url_for("intake.batch", batch_id=found.id))
    listed = [(b, service.batch_summary(b)) for b in service.batches()]
    return render_template("intake/batches.html", form=form, batches=listed,
                           colour=service.week_colour(utcnow().date())), 422 if form.errors else 200


def _item_form(found, repeat: Item | None) -> ItemForm:
    form = ItemForm()
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in catalog.categories()]
    if request.method == "GET":
        if repeat is not None:
            form.category_id.data, form.condition.data = repeat.category_id, repeat.condition or "very_good"
            form.description.data = repeat.description.split(", rozm. ")[0]
            form.size.data, form.brand.data, form.colour.data = repeat.size, repeat.brand, repeat.colour
            form.price.data = format_input(repeat.price_minor)
        else:
            form.category_id.data = request.args.get("category_id", type=record_id) or form.category_id.choices[0].value
            form.condition.data = request.args.get("condition") or "very_good"
            try:
                cat = catalog.category(form.category_id.data)
                form.price.data = format_input(service.suggest_price(cat, Condition(form.condition.data)))
            except (DomainError, ValueError):
                pass
    return form


@bp.route("/batches/<int:batch_id>", methods=["GET", "POST"])
@access(Access.TILL)
def batch(batch_id: int):
    """One donation: its items and what they have raised, and the fast entry form (keyboard first)."""
    found = service.batch(batch_id)
    repeat = db.session.get(Item, request.args.get("repeat", type=record_id) or 0)
    form = _item_form(found, repeat if repeat and repeat.batch_id == found.id else None)
    if form.validate_on_submit():
        try:
            item = service.add_item(found, by=g.user, category_id=form.category_id.data,
                                    condition_value=form.condition.data, description=form.description.data,
                                    price=form.price.data, quantity=form.quantity.data, size=form.size.data,
                                    brand=form.brand.data, colour=form.colour.data, code=form.code.data,
                                    confirm=form.confirm.data)
        except DomainError as exc:
            show_on_form(exc, form)
        else:
            flash(_("Saved: %(code)s, %(price)s.", code=item.code, price=format_money(item.price_minor)), "success")
            if item.category in catalog.kept_off_the_till():
                flash(catalog.off_the_till_message(item.category), "error")
            return redirect(url_for("intake.batch", batch_id=found.id, category_id=item.category_id,
                                    condition=item.condition, last=item.id))
    last = db.session.get(Item, request.args.get("last", type=record_id) or 0)
    issued = service.issued_confirmation(found)
    # The donor's details are for managers and for who took the donation in (or issued its confirmation),
    # during that sign-in: anyone else at the till sees an empty form, never a donor's address.
    donor_visible = (sees_personal_data(issued.issued_by_id, issued.issued_at) if issued is not None
                     else sees_personal_data(found.received_by_id, found.received_at))
    return render_template("intake/batch.html", batch=found, form=form, items=service.batch_items(found.id),
                           summary=service.batch_summary(found), last=last, layouts=LAYOUTS,
                           issued=issued, donor_visible=donor_visible,
                           pending=len(service.label_queue(batch_id=found.id)),
                           off_till={str(c.id): catalog.off_the_till_message(c) for c in catalog.kept_off_the_till()},
                           ), 422 if form.errors else 200


def _label_rows(items: list[Item]):
    return [(i.price_minor, i.description, i.code, i.tag_colour or "", i.created_at.date(), service.label_count(i))
            for i in items]


@bp.post("/labels/print")
@access(Access.TILL)
def print_labels():
    """Send the label queue (of one donation, or all) to the ticket printer; or a whole donation again."""
    batch_id = request.form.get("batch_id", type=record_id)
    if batch_id and request.form.get("all"):  # reprint the whole donation's labels
        items = service.batch_items(batch_id)
    else:
        items = service.label_queue(batch_id=batch_id)
    config = printing.settings()
    count = sum(service.label_count(i) for i in items)
    if items and config.spec.kind == "preview":
        # No ticket printer: nothing would come out. The labels open as an A4 sheet instead and stay
        # waiting until the sheet is marked as printed.
        flash(ngettext("No ticket printer is set up, so nothing was sent: the %(num)d label opens as an A4 sheet. "
                       "Print it, then press “The sheet is printed”.",
                       "No ticket printer is set up, so nothing was sent: the %(num)d labels open as an A4 sheet. "
                       "Print it, then press “The sheet is printed”.", count), "error")
        return redirect(url_for("intake.label_sheet", batch=batch_id or None,
                                all=1 if batch_id and request.form.get("all") else None))
    if items:
        blocks = printed.labels(_label_rows(items), config.columns)
        printing.queue_document(JobKind.LABEL, blocks, user_id=g.user.id)
        service.labels_printed(items)
        flash(ngettext("%(num)d label sent to the ticket printer.", "%(num)d labels sent to the ticket printer.",
                       count), "success")
    else:
        flash(_("No labels are waiting."), "success")
    return redirect(url_for("intake.batch", batch_id=batch_id) if batch_id else url_for("intake.batches"))


@bp.post("/items/<int:item_id>/label")
@access(Access.TILL)
def reprint_label(item_id: int):
    """Print one item's label again."""
    item = catalog.item(item_id)
    config = printing.settings()
    if config.spec.kind == "preview":  # no ticket printer: the label opens on an A4 sheet, as the queue's do
        flash(_("No ticket printer is set up, so nothing was printed: the item's label opens on an A4 sheet."),
              "info")
        return redirect(url_for("intake.label_sheet", item=item.id))
    blocks = printed.labels([(item.price_minor, item.description, item.code, item.tag_colour or "",
                              item.created_at.date(), 1)], config.columns)
    printing.queue_document(JobKind.LABEL, blocks, user_id=g.user.id)
    flash(_("The label is on its way to the printer."), "success")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for("intake.batches"))


@bp.get("/labels/sheet")
@access(Access.TILL)
def label_sheet():
    """An A4 sticker sheet for an ordinary printer: the waiting labels, or a whole donation's."""
    layout = request.args.get("layout", "3x8")
    if layout not in LAYOUTS:
        layout = "3x8"
    batch_id = request.args.get("batch", type=record_id)
    one = request.args.get("item", type=record_id)
    if one:  # one item's label again
        items = [catalog.item(one)]
    elif request.args.get("all") and batch_id:
        items = service.batch_items(batch_id)
    else:
        items = service.label_queue(batch_id=batch_id)
    labels = [row for row in _label_rows(items) for _ in range(row[5])]
    if one:
        labels = labels[:1]
    columns, rows, *_ = LAYOUTS[layout]
    per_page = columns * rows
    pages = [labels[i:i + per_page] for i in range(0, len(labels), per_page)]
    return render_template("intake/sheet.html", pages=pages, layout=layout, layouts=LAYOUTS, batch_id=batch_id,
                           item_ids=",".join(str(i.id) for i in items), show_all=bool(request.args.get("all")))


@bp.post("/labels/sheet/done")
@access(Access.TILL)
def sheet_printed():
    """The sheet came out of the printer: take its labels off the queue."""
    ids = [n for n in map(whole_number, request.form.get("item_ids", "").split(",")[:1000]) if n]
    service.labels_printed(list(db.session.scalars(select(Item).where(Item.id.in_(ids)))))
    flash(_("The labels are marked as printed."), "success")
    batch_id = request.form.get("batch_id", type=record_id)
    return redirect(url_for("intake.batch", batch_id=batch_id) if batch_id else url_for("intake.batches"))


@bp.get("/barcodes/<code>.svg")
@access(Access.TILL)
def barcode(code: str):
    """An item's EAN-13 as SVG (python-barcode) for the sticker sheet."""
    from barcode import EAN13
    from barcode.writer import SVGWriter

    if not is_valid_ean13(code):
        raise InvalidInput(_("This is not a valid EAN-13 code."))
    out = BytesIO()
    EAN13(code[:12], writer=SVGWriter()).write(out, options={"module_height": 12, "font_size": 8, "text_distance": 3,
                                                             "quiet_zone": 3})
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    # The SVG styles its own bars; it is an image, never a page, so it gets a policy of its own.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "max-age=86400"
    return response


@bp.get("/guide")
@access(Access.MANAGER)
def guide():
    """Every category's price guide, weight and rotation rule at a glance."""
    rows = []
    for cat in catalog.categories(include_inactive=True):
        rows.append((cat, [service.guide(cat, c) for c in Condition], service.rule_for(cat.id)))
    return render_template("intake/guide.html", rows=rows, conditions=list(Condition))


@bp.route("/guide/<int:category_id>", methods=["GET", "POST"])
@access(Access.MANAGER)
def guide_category(category_id: int):
    """One category's guide (typical, lowest, highest per condition), weight and rotation rule."""
    cat = db.get_or_404(Category, category_id)
    form = GuideForm()
    current = {c: service.guide(cat, c) for c in Condition}
    if request.method == "GET":
        form.weight_g.data = cat.weight_g
        form.markdown_after_weeks.data, form.markdown_percent.data, form.pull_after_weeks.data = service.rule_for(cat.id)
    errors: dict[str, str] = {}
    values = {c: [format_input(v) for v in current[c]] for c in Condition}
    if request.method == "POST":
        for c in Condition:
            values[c] = [request.form.get(f"{part}-{c.value}", "") for part in ("typical", "min", "max")]
        if form.validate_on_submit():
            try:
                parsed = {}
                for c in Condition:
                    typical, low, high = (money(v, field=f"{part}-{c.value}")
                                          for v, part in zip(values[c], ("typical", "min", "max")))
                    if not low <= typical <= high:
                        raise InvalidInput(_("The typical price must lie between the lowest and the highest."),
                                           field=f"typical-{c.value}")
                    parsed[c] = (typical, low, high)
                for c, (typical, low, high) in parsed.items():
                    row = db.session.scalar(select(PriceGuide).where(PriceGuide.category_id == cat.id,
                                                                     PriceGuide.condition == c))
                    if row is None:
                        row = PriceGuide(category_id=cat.id, condition=c)
                        db.session.add(row)
                    row.typical_minor, row.min_minor, row.max_minor = typical, low, high
                cat.weight_g = form.weight_g.data
                service.save_rule(cat.id, markdown_after_weeks=form.markdown_after_weeks.data,
                                  markdown_percent=form.markdown_percent.data,
                                  pull_after_weeks=form.pull_after_weeks.data, by=g.user)
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or ""] = exc.describe()
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("intake.guide"))
    status = 422 if request.method == "POST" else 200
    return render_template("intake/guide_form.html", category=cat, form=form, values=values, errors=errors,
                           conditions=list(Condition)), status


@bp.get("/rotation")
@access(Access.MANAGER)
def rotation():
    """What is due this week: markdowns and pulls, and the pull-by-scanning form."""
    due = service.rotation_due()
    colours_form = ColoursForm(prefix="colours")
    colours_form.tag_colours.data = ", ".join(service.colours())
    pull_form = PullForm(data={"reason": request.args.get("reason") or _("Rotation"),
                               "destination": request.args.get("destination") or "partner"})
    return render_template("intake/rotation.html", due=due, pull_form=pull_form, colours_form=colours_form,
                           this_week=service.week_colour(utcnow().date()))


@bp.post("/rotation/markdown")
@access(Access.MANAGER)
def markdown():
    """Mark down the chosen due items; their new labels join the label queue."""
    ids = [n for n in map(whole_number, request.form.getlist("item_id")[:5000]) if n]
    count = service.mark_down(ids, by=g.user)
    flash(ngettext("%(num)d item marked down; its new label is waiting.",
                   "%(num)d items marked down; their new labels are waiting.", count), "success")
    return redirect(url_for("intake.rotation"))


@bp.post("/rotation/pull")
@access(Access.MANAGER)
def pull():
    """Take a scanned item off the floor (reason and destination kept)."""
    form = PullForm()
    if form.validate_on_submit():
        try:
            item = service.pull(form.code.data, by=g.user, reason=form.reason.data, destination=form.destination.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.describe(), "error")
        else:
            flash(_("Pulled: %(item)s (%(code)s).", item=item.description, code=item.code), "success")
    else:
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("intake.rotation", reason=form.reason.data, destination=form.destination.data))


@bp.post("/rotation/colours")
@access(Access.MANAGER)
def colours():
    """Change the colour cycle of the intake weeks."""
    form = ColoursForm(prefix="colours")
    try:
        service.set_colours(form.tag_colours.data, by=g.user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.describe(), "error")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("intake.rotation"))


@bp.get("/donors/<int:donor_id>/export")
@access(Access.MANAGER)
def export_donor(donor_id: int):
    """Everything kept about a donor, as a file (their right of access)."""
    donor = db.get_or_404(Donor, donor_id)
    body = json.dumps(service.export_donor(donor), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=darczynca-{donor.id}.json"})


@bp.route("/donors/<int:donor_id>/erase", methods=["GET", "POST"])
@access(Access.MANAGER)
def erase_donor(donor_id: int):
    """Forget a donor's name and contact, after the manager has read what goes and what stays and
    confirmed; the donations and their sales stay."""
    donor = db.get_or_404(Donor, donor_id)
    batches = list(db.session.scalars(select(DonationBatch).where(DonationBatch.donor_id == donor.id)
                                      .order_by(DonationBatch.id)))
    if request.method == "POST" and donor.erased_at is None:
        if request.form.get("confirm") == "1":
            service.erase_donor(donor, by=g.user)
            flash(_("The donor's details are erased."), "success")
            return redirect(url_for("intake.batch", batch_id=batches[0].id) if batches else url_for("intake.batches"))
        flash(_("Tick the box to confirm the erasure."), "error")
        return render_template("intake/erase.html", donor=donor, batches=batches, refused=True), 422
    return render_template("intake/erase.html", donor=donor, batches=batches, refused=False)


def _may_print_confirmation(found) -> bool:
    """An issued confirmation (the donor's name and address) is printed again by a manager, or by who issued
    it during that sign-in; anyone else is told so. A first issue is open to everyone at intake."""
    issued = service.issued_confirmation(found)
    if issued is None or sees_personal_data(issued.issued_by_id, issued.issued_at):
        return True
    flash(_("This donation's confirmation was already issued: a manager can print it again."), "error")
    return False


@bp.post("/batches/<int:batch_id>/confirmation")
@access(Access.TILL)
def gift_confirmation(batch_id: int):
    """A donor asks for a confirmation of the gift: printed on the receipt printer or as an A4 page."""
    found = service.batch(batch_id)
    with_value = request.form.get("with_value") == "1"
    if not _may_print_confirmation(found):
        return redirect(url_for("intake.batch", batch_id=batch_id) + "#gift")
    try:
        data = service.gift_confirmation(found, donor_name=request.form.get("donor_name"), with_value=with_value,
                                         donor_address=request.form.get("donor_address"),
                                         donor_nip=request.form.get("donor_nip"), by=g.user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.describe(), "error")
        return redirect(url_for("intake.batch", batch_id=batch_id) + "#gift")
    config = printing.settings()
    if request.form.get("target") == "page" or config.spec.kind == "preview":
        if request.form.get("target") != "page":  # nothing would print: the A4 page opens instead
            flash(_("No receipt printer is set up, so nothing was printed: the confirmation opens as an A4 page; "
                    "print it in the browser."), "info")
        return redirect(url_for("intake.gift_page", batch_id=batch_id, value=int(with_value)))
    printing.queue_document(JobKind.GIFT, printed.gift_confirmation(data, config.shop, config.columns),
                            user_id=g.user.id)
    flash(_("The gift confirmation is on its way to the printer."), "success")
    return redirect(url_for("intake.batch", batch_id=batch_id))


@bp.get("/batches/<int:batch_id>/confirmation")
@access(Access.TILL)
def gift_page(batch_id: int):
    """The gift confirmation as an A4 page to print (the donor's name as kept on the donation)."""
    found = service.batch(batch_id)
    if not _may_print_confirmation(found):
        return redirect(url_for("intake.batch", batch_id=batch_id) + "#gift")
    data = service.gift_data(found, with_value=request.args.get("value") == "1")
    if data is None:
        flash(_("Type the donor's name for the confirmation."), "error")
        return redirect(url_for("intake.batch", batch_id=batch_id) + "#gift")
    return render_template("intake/gift.html", data=data)
