"""Cash pages at the till: open with a float, movements, the blind count, sign-off, closing the day."""
from __future__ import annotations

import logging
from datetime import date

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice, StringField
from wtforms.validators import Optional

from ..auth.service import approve, managers
from ..catalog.models import Category
from ..core import events, validation
from ..core.access import Access, access
from ..core.errors import DomainError
from ..core.models import FiscalMode
from ..core.money import format_money
from ..core.validation import longest
from ..core.web import shop, show_on_form
from ..extensions import db
from ..till.models import Till
from . import bp, service, zreport
from .forms import CloseDayForm, CountForm, MovementForm, OpenForm, SignOffForm
from .models import DayStatus, SessionStatus, TillSession, ZReport

log = logging.getLogger(__name__)


def _till() -> Till:
    from ..till import service as till

    return till.till(till.till_id_for(g.login))


def _render_drawer(current: Till, open_form=None, movement_form=None, status=200):
    opened = service.current_session(current.id)
    last = service.last_closed(current.id)
    today = service.today()
    closed_today = [s for s in service.sessions_of(today) if s.till_id == current.id and s.status is SessionStatus.CLOSED]
    return render_template(
        "cash/drawer.html", till=current, opened=opened, last=last, closed_today=closed_today,
        open_form=open_form or OpenForm(), movement_form=movement_form or MovementForm(),
        day_closed=service.day_status(today) is DayStatus.CLOSED, today=today,
        needs_sign_off=service.needs_sign_off,
    ), status


@bp.get("/")
@access(Access.TILL)
def drawer():
    """This till's cash: open it with a float, record movements, or go to the count."""
    return _render_drawer(_till())


@bp.post("/open")
@access(Access.TILL)
def open_till():
    current = _till()
    form = OpenForm()
    if form.validate_on_submit():
        try:
            opened = service.open_session(current.id, g.user, counts=form.counts(), carry_over=form.carry_over.data)
        except DomainError as exc:
            show_on_form(exc, form)
        else:
            flash(_("The till is open with a float of %(amount)s.", amount=format_money(opened.float_minor)), "success")
            return redirect(url_for("till.till_page"))
    return _render_drawer(current, open_form=form, status=422)


@bp.post("/movements")
@access(Access.TILL)
def movement():
    current = _till()
    form = MovementForm()
    if form.validate_on_submit():
        try:
            service.add_movement(current.id, g.user, kind=form.kind.data, amount=form.amount.data,
                                 reason=form.reason.data)
        except DomainError as exc:
            show_on_form(exc, form)
        else:
            flash(_("Recorded."), "success")
            return redirect(url_for("cash.drawer"))
    return _render_drawer(current, movement_form=form, status=422)


@bp.route("/count", methods=["GET", "POST"])
@access(Access.TILL)
def count():
    """The blind count: notes and coins first; what the system expected is shown only afterwards."""
    current = _till()
    opened = service.current_session(current.id)
    if opened is None:
        flash(_("This till is not open."), "error")
        return redirect(url_for("cash.drawer"))
    form = CountForm()
    refused = False
    if form.validate_on_submit():
        try:
            closed = service.close_session(current.id, g.user, counts=form.counts(), kept=form.kept.data,
                                           card_terminal=form.card_terminal.data)
        except DomainError as exc:
            show_on_form(exc, form)
            refused = True
        else:
            return redirect(url_for("cash.session_page", session_id=closed.id))
    return render_template("cash/count.html", till=current, opened=opened, form=form), \
        422 if form.errors or refused else 200


@bp.get("/sessions/<int:session_id>")
@access(Access.TILL)
def session_page(session_id: int):
    """A session's result: counted, expected, the difference; the sign-off when it is over the tolerance."""
    found = service.session(session_id)
    if found.status is not SessionStatus.CLOSED:
        return redirect(url_for("cash.drawer"))
    return _render_session(found, SignOffForm())


def _render_session(found: TillSession, form: SignOffForm, status=200):
    form.manager_id.choices = [SelectChoice(m.id, m.name) for m in managers()]
    return render_template("cash/session.html", found=found, row=zreport.session_row(found), form=form,
                           tolerance=service.tolerance(), needs=service.needs_sign_off(found)), status


@bp.post("/sessions/<int:session_id>/sign-off")
@access(Access.TILL)
def sign_off(session_id: int):
    found = service.session(session_id)
    if found.status is not SessionStatus.CLOSED:  # nothing counted yet: nothing to sign off (the page says so)
        flash(_("This till has not been counted yet: count it first, then sign the count off."), "error")
        return redirect(url_for("cash.drawer"))
    form = SignOffForm()
    form.manager_id.choices = [SelectChoice(m.id, m.name) for m in managers()]
    if form.validate_on_submit():
        try:
            service.sign_off(found.id, g.user, comment=form.comment.data, manager_id=form.manager_id.data,
                             pin=form.pin.data)
        except DomainError as exc:
            show_on_form(exc, form)
        else:
            flash(_("Signed off."), "success")
            return redirect(url_for("cash.session_page", session_id=found.id))
    return _render_session(found, form, 422)


def _day_to_close() -> date:
    """The oldest day with a till session that is not closed yet, else today."""
    from ..cash.models import BusinessDay

    closed = select(BusinessDay.day).where(BusinessDay.status == DayStatus.CLOSED)
    oldest = db.session.scalar(select(TillSession.business_date).where(TillSession.business_date.not_in(closed))
                               .order_by(TillSession.business_date).limit(1))
    return oldest or service.today()


def _vat_codes(data: dict) -> list[str]:
    return sorted(set(db.session.scalars(select(Category.vat_code).distinct())) | set(data["by_vat_code"]))


def _close_form(codes: list[str]) -> CloseDayForm:
    class Form(CloseDayForm):
        pass

    for code in codes:
        setattr(Form, f"vat_{code}", StringField(_("Gross sales at VAT %(code)s (zł)", code=code),
                                                 validators=[Optional(), longest(20)],
                                                 render_kw={"inputmode": "decimal"}))
    form = Form()
    form.manager_id.choices = [SelectChoice(m.id, m.name) for m in managers()]
    return form


@bp.get("/day")
@access(Access.TILL)
def day():
    return redirect(url_for("cash.close_day", day=_day_to_close().isoformat()))


def may_see_day(when: date) -> bool:
    """At the till: the day being closed and the last week; older reports are the manager's."""
    return g.user.is_manager or when == _day_to_close() or 0 <= (service.today() - when).days <= 7


def parse_day(text: str) -> date:
    """A day from the address (YYYY-MM-DD); anything else is a page that does not exist."""
    try:
        return validation.iso_day(text)
    except ValueError:
        abort(404)


def blockers(day) -> list[str]:
    """Everything that keeps the day open: the drawer's (tills not counted, sign-offs) and what the areas
    listening to the close say (fiscal: sales waiting for their fiscal receipt)."""
    return service.close_blockers(day) + [said for answer in events.answers(events.day_close_blockers, day=day)
                                          for said in answer]


def after_close(report: ZReport, *, user_id: int) -> None:
    """After a day's close is committed: announce it (printing queues the Z report and commits; the stock
    figures the long reports read are refreshed after the answer), then start the backup (see
    ``backup_in_background``). None may undo the close; a failure is shown and logged."""
    from ..core.backup import BackupError, backup_in_background

    # Read now: once the listeners commit, the report's row would be read again, and that read would wait
    # behind the stock figures' thread, which is writing by then (seconds on a five-year shop).
    day = report.day
    events.day_closed.send(None, report=report, user_id=user_id)
    # The closed day's page says it once: closed, where the report is, the backup (no flash repeats it).
    try:
        current_app.extensions["lukluk_backup"] = backup_in_background(
            current_app.instance_path, keep_days=current_app.config["BACKUP_KEEP_DAYS"], day=day, url=db.engine.url)
    except (BackupError, OSError, RuntimeError) as exc:
        log.error("Backup after closing %s failed to start: %s", day, exc)
        flash(_("The backup after closing failed: %(error)s", error=str(exc)), "error")


def _backup_state(day) -> str | None:
    """The backup after this day's close, as the closed day's page says it: running, ok, failed, or None."""
    from ..core.backup import read_status

    last = read_status(current_app.instance_path) or {}
    return last.get("state") if last.get("day") == day.isoformat() else None


@bp.route("/day/<day>", methods=["GET", "POST"])
@access(Access.TILL)
def close_day(day: str):
    """Close the day: every till counted, the register's figures (fiscal mode), then the Z report."""
    when = parse_day(day)
    if not may_see_day(when):
        abort(403)
    data = zreport.for_day(when)
    register = shop().fiscal_mode is FiscalMode.REGISTER
    codes = _vat_codes(data)
    form = _close_form(codes if register else [])
    refused = False
    valid = form.validate_on_submit()
    if form.is_submitted() and not g.user.is_manager and not (form.pin.data or "").strip():
        form.pin.errors = [*form.pin.errors, _("The manager types their PIN.")]  # said with the other errors
        valid = False
    if valid:
        fiscal = {"by_vat": {code: getattr(form, f"vat_{code}").data for code in codes},
                  "receipts": form.receipts.data} if register else None
        try:
            # A volunteer closes with a manager's PIN; a manager signed in needs none.
            approved_by = None if g.user.is_manager else approve(form.manager_id.data, form.pin.data)
            for answer in events.answers(events.day_closing, day=when, blockers=lambda: blockers(when)):
                fiscal = answer  # the fiscal device's daily report, printed once while the day closes
            report = zreport.close_day(when, g.user, fiscal=fiscal, approved_by=approved_by)
        except DomainError as exc:
            show_on_form(exc, form)
            refused = True
        else:
            db.session.commit()
            after_close(report, user_id=g.user.id)
            return redirect(url_for("cash.close_day", day=when.isoformat()))
    return render_template("cash/close_day.html", day=when, data=data, form=form, blockers=blockers(when),
                           preview="preview" in events.answers(events.z_report_goes_to),
                           backup=_backup_state(when),
                           register=register, codes=codes, closed=data["status"] == DayStatus.CLOSED.value,
                           vat_fields=[getattr(form, f"vat_{code}") for code in codes] if register else []), \
        422 if form.errors or refused else 200
