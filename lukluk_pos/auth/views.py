"""Setup, sign-in (PIN at the till, password for the back office), sign-out, users and settings."""
from __future__ import annotations

from flask import current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from ..catalog.standard import FISCAL_FIRST
from ..core import audit, events
from ..core.access import Access, access
from ..core.errors import DomainError
from ..core.models import FiscalMode, Till
from ..core.web import TILL_COOKIE, keep_cookie, own_path, show_on_form
from ..core.web import shop as current_shop
from ..extensions import db
from . import bp, service
from .forms import PasswordSignInForm, PinForm, SettingsForm, SetupForm, TillForm, UserForm, clean_nip
from .models import Role, SignInMethod, User
from .setup import AlreadySetUp, is_set_up, set_up_shop


def _safe_next(default: str) -> str:
    return own_path(request.args.get("next"), default)


def _start_session(token: str):
    # A new session at every sign-in: nothing from before (CSRF token included) carries over.
    session.clear()
    session["sid"] = token


def _tills() -> list[Till]:
    return list(db.session.scalars(select(Till).where(Till.active).order_by(Till.id)))


def _device_till(tills: list[Till]) -> int | None:
    wanted = request.cookies.get(TILL_COOKIE, "")
    for till in tills:
        if str(till.id) == wanted:
            return till.id
    return tills[0].id if tills else None


@bp.route("/setup", methods=["GET", "POST"])
@access(Access.PUBLIC)
def setup():
    """First start: name the shop and create the first manager."""
    if is_set_up():
        raise AlreadySetUp()
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = set_up_shop(shop_name=form.shop_name.data, address=form.address.data,
                               nip=clean_nip(form.nip.data), name=form.name.data, pin=form.pin.data,
                               password=form.password.data, standard_categories=form.standard_categories.data)
            db.session.flush()
            token = service.sign_in(user, form.password.data, method=SignInMethod.PASSWORD,
                                    till_id=_device_till(_tills()))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.describe(), "error")
            return render_template("auth/setup.html", form=form, fiscal_first=FISCAL_FIRST), 422
        _start_session(token)
        current_app.extensions["lukluk_set_up"] = True
        flash(_("The shop is ready. Welcome!"), "success")
        return redirect(url_for("till.till_page"))
    return render_template("auth/setup.html", form=form, fiscal_first=FISCAL_FIRST), 422 if form.errors else 200


@bp.get("/sign-in")
@access(Access.PUBLIC)
def sign_in():
    """The till's sign-in: a large button for every person."""
    return render_template("auth/sign_in.html", users=service.till_users())


@bp.route("/sign-in/<int:user_id>", methods=["GET", "POST"])
@access(Access.PUBLIC)
def pin_sign_in(user_id: int):
    """Second step at the till: the chosen person types their PIN."""
    user = service.active_user(user_id)
    tills = _tills()
    form = PinForm()
    form.till_id.choices = [SelectChoice(t.id, t.name) for t in tills]
    if request.method == "GET":
        form.till_id.data = _device_till(tills)
    status = 200
    if form.validate_on_submit():
        till_id = form.till_id.data if any(t.id == form.till_id.data for t in tills) else _device_till(tills)
        try:
            token = service.sign_in(user, form.pin.data, method=SignInMethod.PIN, till_id=till_id)
        except DomainError as exc:
            flash(exc.describe(), "error")
            status = exc.status
        else:
            if g.get("login") is not None:  # "Change person": the previous person's sign-in ends here
                service.sign_out(g.login)
            _start_session(token)
            response = make_response(redirect(url_for("till.till_page")))
            if till_id:
                keep_cookie(response, TILL_COOKIE, str(till_id))
            return response
    elif form.errors:
        status = 422
    return render_template("auth/pin.html", form=form, user=user, show_tills=len(tills) > 1), status


@bp.route("/sign-in/manager", methods=["GET", "POST"])
@access(Access.PUBLIC)
def manager_sign_in():
    """The back office's sign-in: a manager's name and password."""
    form = PasswordSignInForm()
    form.user_id.choices = [SelectChoice(u.id, u.name) for u in service.managers()]
    if request.method == "GET" and g.get("user") is not None and g.user.is_manager:
        form.user_id.data = g.user.id
    status = 200
    if form.validate_on_submit():
        try:
            user = service.active_user(form.user_id.data)
            till_id = g.login.till_id if g.get("login") else _device_till(_tills())
            token = service.sign_in(user, form.password.data, method=SignInMethod.PASSWORD, till_id=till_id)
        except DomainError as exc:
            flash(exc.describe(), "error")
            status = exc.status
        else:
            if g.get("login") is not None:
                service.sign_out(g.login)
            _start_session(token)
            return redirect(_safe_next(url_for("reports.dashboard")))
    elif form.errors:
        status = 422
    return render_template("auth/manager_sign_in.html", form=form), status


@bp.post("/sign-out")
@access(Access.TILL)
def sign_out():
    """End this sign-in; the next person signs in with their own PIN."""
    service.sign_out(g.login)
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.sign_in"))


@bp.get("/admin/users")
@access(Access.ADMIN)
def users():
    """Everyone who can sign in, with their role, and whether some source now waits after wrong PINs."""
    people = list(db.session.scalars(select(User).order_by(User.active.desc(), User.name)))
    return render_template("auth/users.html", users=people, delays=service.delays())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@access(Access.ADMIN)
def new_user():
    """Add a volunteer, manager or admin."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            service.create_user(name=form.name.data, role=Role(form.role.data), pin=form.pin.data or "",
                                password=form.password.data, by=g.user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.describe(), "error")
            return render_template("auth/user_form.html", form=form, user=None), 422
        flash(_("%(name)s can now sign in.", name=form.name.data), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None), 422 if form.errors else 200


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@access(Access.ADMIN)
def edit_user(user_id: int):
    """Change a person's name, role, PIN or password, or deactivate them."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        try:
            service.update_user(user, by=g.user, name=form.name.data, role=Role(form.role.data),
                                active=form.active.data, pin=form.pin.data or None,
                                password=form.password.data or None)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.describe(), "error")
            return render_template("auth/user_form.html", form=form, user=user), 422
        flash(_("Saved."), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user), 422 if form.errors else 200


@bp.post("/admin/users/<int:user_id>/unlock")
@access(Access.ADMIN)
def unlock_user(user_id: int):
    """Let a locked-out person try their PIN again."""
    service.unlock(db.get_or_404(User, user_id), by=g.user)
    flash(_("Unlocked."), "success")
    return redirect(url_for("auth.users"))


@bp.route("/admin/settings", methods=["GET", "POST"])
@access(Access.ADMIN)
def settings():
    """The shop's name, address, NIP, receipt footer, discount limit, receipts mode and tills."""
    shop = current_shop()
    form = SettingsForm(obj=None if request.method == "POST" else shop)
    if request.method == "GET":
        form.shop_name.data = shop.name
        form.fiscal_mode.data = shop.fiscal_mode.value
    till_form = TillForm(prefix="till")
    if form.validate_on_submit():
        shop.name, shop.address, shop.nip = form.shop_name.data.strip(), form.address.data or "", clean_nip(form.nip.data)
        shop.receipt_footer = form.receipt_footer.data or ""
        shop.krs = form.krs.data or ""
        shop.discount_limit_percent = form.discount_limit_percent.data
        try:
            mode = FiscalMode(form.fiscal_mode.data)
            if mode is not shop.fiscal_mode:
                shop.fiscal_mode = mode
                db.session.flush()  # the shop's row is locked (PostgreSQL) before the baskets are looked at
                events.receipts_mode_changed.send(None, mode=mode)  # the till refuses exempt over flagged goods
        except DomainError as exc:
            show_on_form(exc, form)
            return render_template("auth/settings.html", form=form, till_form=till_form, tills=_tills(),
                                   device_till=_device_till(_tills())), 422
        audit.record("settings.update", user_id=g.user.id, obj=shop,
                     discount_limit_percent=shop.discount_limit_percent, fiscal_mode=shop.fiscal_mode.value)
        flash(_("Saved."), "success")
        return redirect(url_for("auth.settings"))
    tills = _tills()
    return render_template("auth/settings.html", form=form, till_form=till_form, tills=tills,
                           device_till=_device_till(tills)), 422 if form.errors else 200


@bp.post("/admin/tills")
@access(Access.ADMIN)
def add_till():
    """Add a till (another PC or tablet at a counter)."""
    form = TillForm(prefix="till")
    name = (form.till_name.data or "").strip()
    if form.validate_on_submit() and db.session.scalar(select(Till).where(Till.name == name)) is None:
        db.session.add(Till(name=name))
        flash(_("Till added."), "success")
        return redirect(url_for("auth.settings"))
    flash(_("Give the till a new name of at most 40 characters."), "error")
    return redirect(url_for("auth.settings")), 303


@bp.post("/admin/tills/<int:till_id>/use-here")
@access(Access.ADMIN)
def use_till_here(till_id: int):
    """Make this device work as the chosen till (remembered in a cookie)."""
    till = db.get_or_404(Till, till_id)
    g.login.till_id = till.id
    response = make_response(redirect(url_for("auth.settings")))
    keep_cookie(response, TILL_COOKIE, str(till.id))
    flash(_("This device is now %(name)s.", name=till.name), "success")
    return response
