"""Stock review pages: the filtered stock list with bulk write-off and markdown, aging, stock takes."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..catalog import service as catalog
from ..catalog.models import ItemStatus
from ..core.access import Access, access
from ..core.errors import DomainError, InvalidInput
from ..core.validation import page_number, record_id, whole_number
from ..extensions import db
from ..intake import service as intake
from ..intake.models import Cause, Destination
from . import bp, service
from .service import AGE_BUCKETS, PRICE_BANDS, SORTS, StockFilter


def cause_names() -> dict[str, str]:
    return {Cause.ROTATION.value: _("Pulled by rotation"), Cause.DAMAGED.value: _("Damaged"),
            Cause.UNSELLABLE.value: _("Unsellable"), Cause.LOST.value: _("Lost (stock take)"),
            Cause.OTHER.value: _("Other")}


def destination_names() -> dict[str, str]:
    return {Destination.PARTNER.value: _("Passed to a partner organisation"),
            Destination.TEXTILE_RECYCLING.value: _("Textile recycling"), Destination.WASTE.value: _("Thrown away"),
            Destination.OTHER.value: _("Other")}


def _int(name: str, low: int = 0, high: int = 10**9) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    number = whole_number(value, low=low, high=high)
    if number is None:
        raise InvalidInput(_("Please check what you typed."), field=name)
    return number


def _filter() -> StockFilter:
    status = request.args.get("status", "in_stock")
    return StockFilter(
        category_id=_int("category_id"), status=status if status in {"in_stock", *(s.value for s in ItemStatus), ""}
        else "in_stock", min_weeks=_int("min_weeks", 0, 520), max_weeks=_int("max_weeks", 1, 520),
        tag_colour=request.args.get("tag_colour", "").strip()[:20] or None, band=_int("band", 0, len(PRICE_BANDS) - 1),
        batch_id=_int("batch_id"), words=request.args.get("q", "")[:100],
        sort=request.args.get("sort") if request.args.get("sort") in SORTS else "newest")


@bp.get("/")
@access(Access.MANAGER)
def items():
    """Everything in stock (or sold, written off…), filtered, sorted and paginated; bulk actions."""
    try:
        f = _filter()
        page = service.list_stock(f, page=request.args.get("page", 1, type=page_number))
    except DomainError as exc:
        flash(exc.describe(), "error")
        f, page = StockFilter(), service.list_stock(StockFilter())
        status = 422
    else:
        status = 200
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("stock/items.html", f=f, page=page, args=args, categories=catalog.categories(),
                           colours=intake.colours(), bands=[service.band_label(*b) for b in PRICE_BANDS],
                           causes=cause_names(), destinations=destination_names(),
                           weeks_since=service.weeks_since), status


def _back() -> str:
    """Where a bulk action returns: the stock list as it was filtered (never outside /stock)."""
    back = request.form.get("next", "")
    return back if back.startswith("/stock") else url_for("stock.items")


@bp.post("/write-off")
@access(Access.MANAGER)
def write_off():
    """Write off the ticked items, or one scanned code, with a cause, a destination and a reason."""
    try:
        code = request.form.get("code", "").strip()
        chosen = [catalog.by_code(code)] if code else service.items_by_ids(request.form.getlist("item_id"))
        count = service.write_off(chosen, by=g.user, cause=request.form.get("cause", ""),
                                  destination=request.form.get("destination", ""),
                                  reason=request.form.get("reason", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.describe(), "error")
    else:
        flash(ngettext("%(num)d item taken off the floor.", "%(num)d items taken off the floor.", count) if not code else
              _("%(item)s taken off the floor.", item=chosen[0].description), "success")
    return redirect(_back())


@bp.post("/markdown")
@access(Access.MANAGER)
def markdown():
    """Mark down the ticked items by their category's rotation rule (new labels are queued)."""
    try:
        ids = [item.id for item in service.items_by_ids(request.form.getlist("item_id"))]
        count = intake.mark_down(ids, by=g.user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.describe(), "error")
    else:
        flash(ngettext("%(num)d item marked down; its new label waits in the label queue.",
                       "%(num)d items marked down; their new labels wait in the label queue.", count), "success")
    return redirect(_back())


@bp.get("/aging")
@access(Access.MANAGER)
def aging():
    """Items on the floor per category by weeks since intake, and what rotation says is due."""
    rows = service.aging()
    totals = [sum(row["buckets"][n] for row in rows) for n in range(len(AGE_BUCKETS))]
    due = intake.rotation_due()
    return render_template("stock/aging.html", rows=rows, totals=totals, buckets=AGE_BUCKETS, due=due)


@bp.route("/takes", methods=["GET", "POST"])
@access(Access.MANAGER)
def takes():
    """Stock takes: start one for a category, or continue one."""
    if request.method == "POST":
        try:
            found = service.start_take(request.form.get("category_id", type=record_id), by=g.user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.describe(), "error")
        else:
            return redirect(url_for("stock.take", take_id=found.id))
    return render_template("stock/takes.html", takes=service.takes(), categories=catalog.categories())


@bp.route("/takes/<int:take_id>", methods=["GET", "POST"])
@access(Access.MANAGER)
def take(take_id: int):
    """Scan what is on the floor; the page lists what has not been found yet."""
    found = service.take(take_id)
    status = 200
    if request.method == "POST":
        try:
            item, new = service.scan(found, request.form.get("code", ""), by=g.user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.describe(), "error")
            status = 422
        else:
            flash(_("Found: %(item)s.", item=item.description) if new else
                  _("%(item)s was already scanned.", item=item.description), "success")
            db.session.commit()
            return redirect(url_for("stock.take", take_id=found.id))
    missing = service.missing(found) if found.status.value == "open" else []
    return render_template("stock/take.html", take=found, missing=missing, scanned=service.scanned_count(found)), status


@bp.post("/takes/<int:take_id>/finish")
@access(Access.MANAGER)
def finish_take(take_id: int):
    found = service.take(take_id)
    try:
        lost = service.finish_take(found, by=g.user, mark_lost=request.form.get("mark_lost") == "y",
                                   confirm=request.form.get("confirm") == "y")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.describe(), "error")
    else:
        flash(ngettext("Stock take finished; %(num)d missing item marked lost.",
                       "Stock take finished; %(num)d missing items marked lost.", lost), "success")
    return redirect(url_for("stock.take", take_id=found.id))
