"""The manager's day pages: days and their Z reports, downloads for the bookkeeper, corrections,
reopening (admin) and the journal's account numbers."""
from __future__ import annotations

import logging
import re
from datetime import date

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice, StringField
from wtforms.validators import Optional

from ..cash import service as cash
from ..cash import zreport
from ..cash.forms import AdjustmentForm, ReopenForm
from ..cash.models import BusinessDay, DayStatus, TillSession, ZReport
from ..cash.views import may_see_day, parse_day
from ..catalog import service as catalog
from ..core import audit, validation
from ..core.access import Access, access
from ..core.errors import DomainError, InvalidInput
from ..core.validation import FIRST_DAY, LAST_DAY, longest, page_number
from ..core.web import format_day, own_path, shop, show_on_form
from ..extensions import db
from ..printing import document as printed
from ..printing import service as printing
from ..printing.models import JobKind
from . import bp, exports

log = logging.getLogger(__name__)
MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")


@bp.get("/days")
@access(Access.MANAGER)
def days():
    """Recent business days with their status, Z numbers and net; month downloads; corrections."""
    return _render_days(_adjustment_form())


def _render_days(form: AdjustmentForm, status: int = 200):
    recent = list(db.session.scalars(select(TillSession.business_date).distinct()
                                     .order_by(TillSession.business_date.desc()).limit(62)))
    statuses = {row.day: row.status for row in db.session.scalars(select(BusinessDay).where(BusinessDay.day.in_(recent)))}
    numbers: dict[date, list[int]] = {}
    for row in db.session.execute(select(ZReport.day, ZReport.number).where(ZReport.day.in_(recent))):
        numbers.setdefault(row.day, []).append(row.number)
    months = sorted({(d.year, d.month) for d in recent}, reverse=True) or [(cash.today().year, cash.today().month)]
    return render_template("reports/days.html", recent=recent, statuses=statuses, numbers=numbers,
                           months=[f"{y}-{m:02d}" for y, m in months], form=form, DayStatus=DayStatus), status


def _adjustment_form() -> AdjustmentForm:
    form = AdjustmentForm()
    form.category_id.choices = [SelectChoice(0, "—")] + [SelectChoice(c.id, c.name) for c in catalog.categories()]
    return form


@bp.post("/adjustments")
@access(Access.MANAGER)
def add_adjustment():
    """A manager's correction of a closed day (shown in the next open day's report)."""
    form = _adjustment_form()
    if form.validate_on_submit():
        try:
            try:
                affects = validation.iso_day(form.affects_day.data)
            except ValueError:
                raise InvalidInput(_("Give the day as YYYY-MM-DD."), field="affects_day") from None
            row = cash.add_adjustment(g.user, affects_day=affects, method=form.method.data, amount=form.amount.data,
                                      reason=form.reason.data, category_id=form.category_id.data or None)
        except DomainError as exc:
            show_on_form(exc, form)
        else:
            flash(_("Correction recorded: it shows in the report of %(day)s.", day=format_day(row.reported_on)),
                  "success")
            return redirect(url_for("reports.days"))
    return _render_days(form, 422)


@bp.get("/days/<day>")
@access(Access.MANAGER)
def day(day: str):
    """The day's report as HTML (print it from the browser or on the receipt printer) and downloads."""
    when = parse_day(day)
    data = zreport.for_day(when)
    return render_template("reports/day.html", day=when, data=data, reopen=ReopenForm(),
                           journal=exports.journal(data))


@bp.get("/days/<day>/<what>.<fmt>")
@access(Access.REPORTS)
def day_download(day: str, what: str, fmt: str):
    """``report`` or ``journal`` of one day, as ``csv`` or ``xlsx``."""
    when = parse_day(day)
    data = zreport.for_day(when)
    if what == "report":
        table = exports.day_table(data)
    elif what == "journal":
        table = exports.journal_table([data])
    else:
        abort(404)
    return _send(table, fmt, f"lukluk-{what}-{when.isoformat()}")


@bp.get("/months/<month>/<what>.<fmt>")
@access(Access.REPORTS)
def month_download(month: str, what: str, fmt: str):
    """The month's days (``report``) or its journal, as ``csv`` or ``xlsx``."""
    found = MONTH_RE.match(month)
    if not found or not 1 <= int(found[2]) <= 12 or not FIRST_DAY.year <= int(found[1]) <= LAST_DAY.year:
        abort(404)  # year 0 (no such date) or 9999 (past any shop's records) names no month of ours
    year, number = int(found[1]), int(found[2])
    reports = exports.month_reports(year, number)
    if what == "report":
        table = exports.month_table(year, number, reports)
    elif what == "journal":
        table = exports.journal_table(reports)
    else:
        abort(404)
    return _send(table, fmt, f"lukluk-{what}-{month}")


def _send(table: exports.Table, fmt: str, name: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    return exports.download(table, fmt, name, shop().csv_dialect)


@bp.post("/days/<day>/print")
@access(Access.TILL)
def print_day(day: str):
    """The day's report (Z report if closed) on the receipt printer again."""
    when = parse_day(day)
    if not may_see_day(when):
        abort(403)
    data = zreport.for_day(when)
    config = printing.settings()
    printing.queue_document(JobKind.REPORT, printed.z_report(data, config.shop, config.columns), user_id=g.user.id)
    if config.spec.kind == "preview":
        flash(_("No receipt printer is set up, so nothing was printed: the report is on this page; print it in "
                "the browser."), "info")
    else:
        flash(_("The report is on its way to the printer."), "success")
    return redirect(own_path(request.form.get("next"), url_for("reports.day", day=when.isoformat())))


@bp.post("/days/<day>/reopen")
@access(Access.ADMIN)
def reopen(day: str):
    when = parse_day(day)
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            cash.reopen_day(when, g.user, reason=form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.describe(), "error")
        else:
            flash(_("Day %(day)s is open again; close it again when it is right.", day=format_day(when)), "success")
    else:
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("reports.day", day=when.isoformat()))


def _accounts_form(names: dict[str, str]):
    from flask_wtf import FlaskForm
    from wtforms import SelectField

    class Form(FlaskForm):
        csv_dialect = SelectField(_("CSV files"), choices=[
            SelectChoice("pl", _("Polish Excel: semicolon, decimal comma")),
            SelectChoice("en", _("English Excel: comma, decimal point"))])
        tolerance = StringField(_("Cash difference allowed without a manager's sign-off (zł)"),
                                validators=[Optional(), longest(20)], render_kw={"inputmode": "decimal"})

    for key, label in names.items():
        setattr(Form, key.replace(":", "_"), StringField(label, validators=[Optional(), longest(40)]))
    return Form()


@bp.route("/accounts", methods=["GET", "POST"])
@access(Access.ADMIN)
def accounts():
    """The journal's account numbers (per payment method, per category, cash movements) and CSV dialect."""
    from ..core.money import format_input
    from ..core.validation import money

    names = exports.account_names()
    names.update({f"category:{c.id}": _("Revenue: %(name)s", name=c.name) for c in catalog.categories()})
    form = _accounts_form(names)
    numbers = exports.accounts()
    if request.method == "GET":
        for key in names:
            getattr(form, key.replace(":", "_")).data = numbers.get(key, "")
        form.csv_dialect.data = shop().csv_dialect
        form.tolerance.data = format_input(shop().cash_tolerance_minor)
    if form.validate_on_submit():
        try:
            tolerance = money(form.tolerance.data or "0", field="tolerance", allow_zero=True)
        except DomainError as exc:
            show_on_form(exc, form)
        else:
            values = {key: (getattr(form, key.replace(":", "_")).data or "").strip() for key in names}
            exports.save_accounts(values)
            shop().csv_dialect, shop().cash_tolerance_minor = form.csv_dialect.data, tolerance
            audit.record("settings.accounts", user_id=g.user.id, csv_dialect=form.csv_dialect.data,
                         tolerance=tolerance, accounts=values)
            flash(_("Saved."), "success")
            return redirect(url_for("reports.accounts"))
    fields = [getattr(form, key.replace(":", "_")) for key in names]
    return render_template("reports/accounts.html", form=form, fields=fields), 422 if form.errors else 200


# --- the manager's reports over a period, the social impact and the dashboard --------------------------

def _period():
    from . import period

    return period.parse_period(request.args.get("start"), request.args.get("end"), request.args.get("grain"))


def _period_args(p) -> dict:
    return {"start": p.start.isoformat(), "end": p.end.isoformat(), "grain": p.grain}


def _render_reports(template: str, reports, **extra):
    from . import period

    status = 200
    try:
        p = _period()
    except DomainError as exc:
        flash(exc.describe(), "error")
        p, status = period.parse_period(None, None, None), 422
    sections = [(r, r.build(p)) for r in reports]
    return render_template(template, p=p, args=_period_args(p), sections=sections,
                           **{k: (v(p) if callable(v) else v) for k, v in extra.items()}), status


@bp.get("/period")
@access(Access.MANAGER)
def period_page():
    """Sales, sell-through, donations, discounts, refunds and voids for any period, each with its chart
    and downloads."""
    from . import period

    return _render_reports("reports/period.html", period.REPORTS, stock_as_at=lambda p: period.stock_as_at())


@bp.get("/impact")
@access(Access.MANAGER)
def impact_page():
    """The shop's social impact for a period, printable: second life, kilograms, money, hours."""
    from . import period

    return _render_reports("reports/impact.html", period.IMPACT_REPORTS, impact=period.impact,
                           stock_as_at=lambda p: period.stock_as_at())


@bp.get("/period/<name>.<fmt>")
@access(Access.REPORTS)
def period_download(name: str, fmt: str):
    """One report of a period as an SVG chart, CSV or XLSX (the same table as on the page)."""
    from . import charts, period

    found = period.BY_NAME.get(name)
    if found is None or fmt not in ("svg", "csv", "xlsx"):
        abort(404)
    try:
        p = _period()
    except DomainError:
        abort(404)
    table = found.build(p)
    if fmt != "svg":
        return _send(table, fmt, f"lukluk-{name}-{p.start.isoformat()}-{p.end.isoformat()}")
    response = Response(charts.svg(table, kind=found.chart, value=found.value,
                                   title=f"{found.title()} · {p.start.isoformat()} – {p.end.isoformat()}"),
                        mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "no-store"
    return response


def _backup_status() -> dict:
    from datetime import datetime, timedelta

    from ..core.backup import read_status, taken

    last = read_status(current_app.instance_path) or {}
    if last.get("state") == "running" and last.get("at", "") < (datetime.now() - timedelta(hours=1)).isoformat():
        # Still "running" an hour on: the server stopped during the copy, which never finished.
        last |= {"state": "failed", "error": _("it did not finish (the program stopped during the copy).")}
    if last.get("state") in ("running", "failed"):  # the backup after the last close: at work, or failed
        return {"kind": last["state"], "day": last.get("day", ""), "error": last.get("error", "")}
    kept = taken(current_app.instance_path)
    if not kept:
        return {"kind": "none"}
    path, at = kept[-1]
    return {"kind": "file", "name": path.name, "hours": int((datetime.now() - at).total_seconds() // 3600),
            "count": len(kept)}


def _offsite_status(check: dict | None) -> dict:
    """The newest good copy off the machine, its age (red after 48 hours), and any place failing in words."""
    from ..core import offsite

    if check is None:  # the database did not answer: the single line says so
        return {"set": True, "hours": None, "stale": True, "failed": []}
    return {"set": bool(check["places"]), "hours": check["hours"],
            "stale": check["hours"] is None or check["hours"] >= offsite.STALE_HOURS,
            "failed": offsite.read_status(current_app.instance_path).failed() if check["failing"] else []}


@bp.get("/")
@access(Access.MANAGER)
def dashboard():
    """Today so far, this week against last week, stock health, rotation, printer and backup."""
    from datetime import timedelta

    from ..cash.figures import figures
    from ..fiscal import service as fiscal
    from ..intake import service as intake
    from ..stock import service as stock
    from ..till import service as till
    from . import health, period

    today = cash.today()
    monday = today - timedelta(days=today.weekday())
    this_week = period.sales_over_time(period.Period(monday, today, "month"))
    last_week = period.sales_over_time(period.Period(monday - timedelta(days=7), today - timedelta(days=7), "month"))

    def net(table):
        return sum(int(row[4]) for row in table.rows), sum(row[1] for row in table.rows)

    attention, offsite_check = health.for_the_dashboard()
    aging = stock.aging()
    due = intake.rotation_due_counts(today)
    return render_template(
        "reports/dashboard.html", today=today, now=figures(today), this_week=net(this_week),
        last_week=net(last_week), aging=[sum(row["buckets"][n] for row in aging) for n in range(len(stock.AGE_BUCKETS))],
        buckets=stock.AGE_BUCKETS, due=due,
        printer=printing.status(), backup=_backup_status(), open_tills=cash.open_sessions(),
        open_baskets=len(till.open_baskets()),
        closed=cash.day_status(today) is DayStatus.CLOSED, exemption=fiscal.exemption(today),
        off_till=catalog.on_the_floor_off_the_till(), attention=attention,
        offsite=_offsite_status(offsite_check))


@bp.get("/audit")
@access(Access.MANAGER)
def audit_log():
    """Who did what sensitive thing, when and why: newest first, by day and kind, 100 a page."""
    from datetime import timedelta

    from ..auth.models import User
    from ..cash.figures import utc_bounds
    from ..core.models import AuditEvent
    from . import audit as readable

    status = 200
    try:
        last = validation.iso_day(request.args["end"]) if request.args.get("end") else cash.today()
        first = validation.iso_day(request.args["start"]) if request.args.get("start") else last - timedelta(days=6)
    except ValueError:
        flash(_("Give the days as YYYY-MM-DD."), "error")
        last, status = cash.today(), 422
        first = last - timedelta(days=6)
    group = request.args.get("group", "")
    page = request.args.get("page", 1, type=page_number)
    query = (select(AuditEvent, User.name).outerjoin(User, User.id == AuditEvent.user_id)
             .where(AuditEvent.created_at >= utc_bounds(first)[0], AuditEvent.created_at < utc_bounds(last)[1])
             .order_by(AuditEvent.id.desc()))
    groups = {"cash": ("cash.", "day.", "drawer."), "sale": ("sale.", "receipt."), "stock": ("item.", "rotation.",
              "stock_take.", "category."), "people": ("auth.", "user.", "token.", "donor."),
              "settings": ("settings.", "print."), "documents": ("invoice.", "buyer.", "fiscal.", "intake.")}
    if group in groups:
        from sqlalchemy import or_

        query = query.where(or_(*[AuditEvent.action.startswith(prefix) for prefix in groups[group]]))
    rows = db.session.execute(query.limit(101).offset((page - 1) * 100)).all()
    people = dict(db.session.execute(select(User.id, User.name)).all())
    names = readable.Names([event for event, _name in rows[:100]], people)
    shown = [(event, name, readable.record(event, names), readable.details(event, names)) for event, name in rows[:100]]
    return render_template("reports/audit.html", rows=shown, more=len(rows) > 100, page=page, first=first,
                           last=last, group=group, names=readable.action_names()), status
