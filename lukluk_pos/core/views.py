"""The start page and the language switch."""
from __future__ import annotations

from flask import Blueprint, g, make_response, redirect, request, url_for

from ..core.access import Access, access
from .web import LANG_COOKIE, keep_cookie, own_path

bp = Blueprint("core", __name__, template_folder="../templates")


@bp.get("/")
@access(Access.PUBLIC)
def index():
    """Send people where they work: the till if signed in, else the sign-in page."""
    if g.get("user") is None:
        return redirect(url_for("auth.sign_in"))
    return redirect(url_for("till.till_page"))


@bp.post("/language")
@access(Access.PUBLIC)
def set_language():
    """Switch between Polish and English; the choice stays on this device."""
    lang = request.form.get("lang")
    response = make_response(redirect(own_path(request.form.get("next"), url_for("core.index"))))
    if lang in ("pl", "en"):
        keep_cookie(response, LANG_COOKIE, lang)
    return response
