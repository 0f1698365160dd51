"""Request plumbing: who is signed in, the language, one commit per request, errors, headers."""
from __future__ import annotations

import logging
import secrets
import time
from datetime import date, datetime
from urllib.parse import urlsplit

from babel.dates import format_datetime as babel_format_datetime
from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from ..extensions import csrf, db
from .db import set_read_only
from .errors import DomainError, InvalidInput
from .models import Shop
from .money import format_money
from .validation import MAX_INT

log = logging.getLogger(__name__)

LANG_COOKIE = "lukluk_lang"
TILL_COOKIE = "lukluk_till"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Reachable before the shop is set up.
SETUP_ENDPOINTS = frozenset({"auth.setup", "static", "core.set_language", "api.openapi", "health.health"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class IdConverter(IntegerConverter):
    """``<int:…>`` in a route: ASCII digits (``\\d`` would take "٣", which ``int()`` reads as 3) from 1 to
    the largest PostgreSQL integer; anything else does not match the route (404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def has_nul(*texts) -> bool:
    return any("\x00" in text for text in texts if text)


def own_path(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``. Browsers drop tabs and newlines from a
    URL and read a backslash as a slash, so "/\t/evil.example/" is "//evil.example/", another site: any
    control character, backslash, scheme or host refuses the target."""
    target = target or ""
    if (not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 2000
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def keep_cookie(response, name: str, value: str) -> None:
    """A long-lived cookie of this device (its till, its language): never read by scripts, sent only
    over TLS when the shop serves HTTPS (LUKLUK_SECURE_COOKIES)."""
    response.set_cookie(name, value, max_age=5 * 365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=bool(current_app.config.get("SECURE_COOKIES")))


def select_locale() -> str:
    """Polish unless the person chose English (kept in a cookie, so it survives signing out)."""
    if not has_request_context():
        return "pl"  # CLI commands and background work speak the shop's language
    lang = request.cookies.get(LANG_COOKIE)
    return lang if lang in ("pl", "en") else "pl"


def is_api() -> bool:
    return request.path.startswith("/api/")


def shop() -> Shop | None:
    """The shop's settings (one row), cached for the request."""
    if "shop" not in g:
        g.shop = db.session.scalar(select(Shop).limit(1))
    return g.shop


def show_on_form(exc: DomainError, form) -> None:
    """A service's refusal shown on the form: under the field it names, else as a message.
    Whatever the request wrote before the refusal is rolled back."""
    db.session.rollback()
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.describe()]
    else:
        flash(exc.describe(), "error")


#: Dates on pages: Polish "29.11.2026, 14:05"; English "29 Nov 2026, 14:05" (never the US month first).
DATE_PATTERNS = {"pl": ("dd.MM.yyyy", "dd.MM.yyyy, HH:mm"), "en": ("d MMM yyyy", "d MMM yyyy, HH:mm")}


def _patterns() -> tuple[str, str]:
    return DATE_PATTERNS.get(str(get_locale()), DATE_PATTERNS["pl"])


def format_when(value) -> str:
    """A moment as the person's language writes it: 29.11.2026, 14:05."""
    return format_datetime(value, _patterns()[1]) if value else ""


def format_day(value) -> str:
    """A day as the person's language writes it: 29.11.2026 (ISO only in files and the API). Takes a date,
    an ISO day as a report's figures keep it, or a UTC moment (its day in the shop's time zone)."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return format_date(value, _patterns()[0])  # flask-babel moves a moment to the shop's time zone first


def format_local(value) -> str:
    """A moment already in the shop's time (a report's "2026-11-29T14:05:00"), written as the person's
    language does: 29.11.2026, 14:05 — without moving it to another time zone."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return babel_format_datetime(value.replace(tzinfo=None), _patterns()[1], locale=get_locale())


#: One line per request: method, path, status, duration and the request's id (shown on an error page).
requests_log = logging.getLogger("lukluk_pos.requests")


def _log_request(response) -> None:
    started = g.get("started")
    if started is None:
        return
    requests_log.info("%s %s %s %.1f ms id=%s", request.method, request.path, response.status_code,
                      (time.perf_counter() - started) * 1000, g.get("request_id", "-"))


def init_app(app: Flask, *, identify) -> None:
    """The request plumbing. ``identify`` is hooked in by ``auth`` (the ground floor knows no person): it
    reads who is signed in into ``g`` and answers a response when they may not open the page."""

    @app.before_request
    def _load_person():
        g.request_id, g.started = secrets.token_hex(4), time.perf_counter()  # said on an error page, logged
        set_read_only(request.method in SAFE_METHODS)
        if not app.extensions.get("lukluk_set_up"):
            if shop() is None:
                if request.endpoint not in SETUP_ENDPOINTS:
                    if is_api():
                        return jsonify(error="not_set_up", message=_("The shop is not set up yet.")), 503
                    return redirect(url_for("auth.setup"))
            else:
                app.extensions["lukluk_set_up"] = True
        refused = identify()
        if refused is not None:
            return refused
        if request.method not in SAFE_METHODS and request.endpoint and app.config.get("WTF_CSRF_ENABLED", True):
            # CSRF is checked here, after access: a request with no sign-in is a 401 (API) or the sign-in
            # page, not a CSRF error that would tell a client to reload rather than to sign in.
            csrf.protect()
        # PostgreSQL can neither store nor compare a NUL in text, and no person types one.
        if has_nul(request.path, *request.args.values(), *request.form.values()) or \
                (request.is_json and b"\\u0000" in request.get_data(cache=True)):
            raise InvalidInput(_l("What was sent contains a character that is not allowed (NUL)."))
        return None

    @app.teardown_request
    def _back_to_writing(_exc):
        set_read_only(False)  # CLI work and services called outside requests write by default

    @app.after_request
    def _commit_and_headers(response):
        if request.method not in SAFE_METHODS and response.status_code < 400:
            db.session.commit()
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure and app.config.get("SECURE_COOKIES"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static":
            headers.setdefault("Cache-Control", "no-store")
        _log_request(response)
        return response

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        db.session.rollback()
        if is_api():
            return jsonify(exc.to_json()), exc.status
        return render_template("error.html", message=exc.describe(), status=exc.status), exc.status

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        db.session.rollback()
        message = _("The page has expired or the form was not sent from this till. Reload the page and try again.")
        if is_api():
            return jsonify(error="csrf", message=message), 400
        return render_template("error.html", message=message, status=400), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        db.session.rollback()
        messages = {
            400: _("The request could not be understood."),
            401: _("Please sign in."),
            403: _("You are not allowed to open this page."),
            404: _("This page does not exist."),
            405: _("This action is not possible here."),
            413: _("What was sent is too large."),
        }
        message = messages.get(exc.code, _("Something went wrong."))
        if is_api():
            response = jsonify(error=exc.name.lower().replace(" ", "_"), message=message)
        else:
            response = current_app.make_response(render_template("error.html", message=message, status=exc.code))
        response.status_code = exc.code
        if getattr(exc, "valid_methods", None):  # a 405 says which methods the path has (RFC 9110)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc):
        db.session.rollback()
        log.exception("Unexpected error on %s %s (request %s)", request.method, request.path, g.get("request_id"))
        message = _("Something went wrong. Nothing was saved. Try again, and tell the manager if it repeats.")
        if is_api():
            return jsonify(error="internal", message=message), 500
        return render_template("error.html", message=message, status=500, request_id=g.get("request_id")), 500

    @app.context_processor
    def _template_globals():
        return {"current_user": g.get("user"), "current_login": g.get("login"), "shop": shop(),
                "current_locale": str(get_locale())}

    from .version import running

    app.jinja_env.globals["lukluk_version"] = running
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_when, "datetime")
    app.add_template_filter(format_day, "date")
    app.add_template_filter(format_local, "local_when")
