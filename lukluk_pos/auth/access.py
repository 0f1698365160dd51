"""Who may open which route: views declare their level on the ground floor (``core.access``); this one
hook, registered by ``auth``, enforces it before every request, default-deny."""
from __future__ import annotations

from flask import abort, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from ..core.access import Access, level_of
from .models import Role, SignInMethod


def allowed(level: Access, role: Role | None, method: SignInMethod | None) -> bool:
    """Whether a person of this role, signed in this way (None: nobody), may open a view of this level."""
    if level is Access.PUBLIC:
        return True
    if role is None:
        return False
    if level is Access.TILL:
        return True
    if method is not SignInMethod.PASSWORD:
        return False
    if level in (Access.MANAGER, Access.REPORTS):
        return role.rank >= Role.MANAGER.rank
    return role is Role.ADMIN


def sees_personal_data(made_by_id: int | None, made_at) -> bool:
    """Whether the person signed in may read a document with personal data (an invoice's buyer, a donor on a
    gift confirmation): a manager or admin signed in with their password, or the person who made it, during
    the sign-in they made it in (a volunteer who issued an invoice can print it again before signing out;
    nobody reads other people's by trying ids)."""
    login = g.get("login")
    if login is None:
        return False
    if allowed(Access.MANAGER, login.user.role, login.method):
        return True
    return made_by_id is not None and made_by_id == login.user_id and made_at is not None \
        and made_at >= login.created_at


def identify():
    """Before every request (hooked into ``core.web``): who is signed in, and whether they may open it."""
    from flask import session

    from .service import load_login

    g.login = load_login(session.get("sid"))
    g.user = g.login.user if g.login else None
    return enforce_access()


def enforce_access():
    """Before every request: refuse what the signed-in person's role does not allow."""
    level = level_of(request.endpoint)
    if level is None:
        abort(403)
    login = g.get("login")
    role, method = (login.user.role, login.method) if login else (None, None)
    if allowed(level, role, method):
        return None
    is_api = request.path.startswith("/api/")
    if level is Access.REPORTS and request.method == "GET" and "Authorization" in request.headers:
        # The bookkeeper's token opens the day JSON and the CSV/XLSX/journal downloads, read-only.
        from .service import load_token

        token = load_token(request.headers.get("Authorization"))
        if token is not None and token.scope == "reports:read":
            g.api_token = token
            return None
    if login is None:
        if is_api:
            return jsonify(error="unauthenticated", message=_("Please sign in.")), 401
        target = "auth.manager_sign_in" if level >= Access.MANAGER else "auth.sign_in"
        return redirect(url_for(target, next=request.full_path if request.method == "GET" else None))
    if method is SignInMethod.PIN and not is_api and allowed(level, role, SignInMethod.PASSWORD):
        # A manager signed in at the till by PIN: their password would open this page.
        return redirect(url_for("auth.manager_sign_in", next=request.full_path))
    abort(403)

