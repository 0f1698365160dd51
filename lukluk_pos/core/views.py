"""The start page, the language switch, and the admin's page of backups off the machine with its
recovery sheet."""
from __future__ import annotations

import threading
from datetime import datetime

from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core.access import Access, access
from ..extensions import db
from . import audit, backup, offsite
from .forms import OffsiteForm
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


@bp.route("/admin/backups", methods=["GET", "POST"])
@access(Access.ADMIN)
def backups():
    """Where the copies go off the machine, how many are kept, and how the last ones went."""
    instance = current_app.instance_path
    settings = offsite.read_settings(instance)
    form = OffsiteForm(data=settings.__dict__) if request.method == "GET" else OffsiteForm()
    if form.validate_on_submit():
        chosen = offsite.Settings(folder=form.folder.data, repository=form.repository.data,
                                  keep_daily=form.keep_daily.data, keep_weekly=form.keep_weekly.data,
                                  keep_monthly=form.keep_monthly.data)
        new_key = chosen.places() and not offsite.has_key(instance)
        offsite.write_settings(instance, chosen)
        audit.record("settings.backups", user_id=g.user.id, folder=chosen.folder, repository=chosen.repository,
                     keep=f"{chosen.keep_daily} / {chosen.keep_weekly} / {chosen.keep_monthly}")
        flash(_("Saved. Print the recovery sheet now: without its key nobody can read the copies.") if new_key
              else _("Saved."), "success")
        return redirect(url_for("core.backups"))
    sending = current_app.extensions.get("lukluk_offsite_send")
    return render_template("core/backups.html", form=form, settings=settings, status=offsite.read_status(instance),
                           kept=backup.taken(instance), last=backup.read_status(instance) or {},
                           has_key=offsite.has_key(instance), restic=offsite.restic() is not None,
                           sending=sending is not None and sending.is_alive()), 422 if form.errors else 200


@bp.post("/admin/backups/send")
@access(Access.ADMIN)
def send_backup():
    """Take a backup now and send it to the places set, on a thread of its own (it can take minutes)."""
    instance, keep, url = current_app.instance_path, current_app.config["BACKUP_KEEP_DAYS"], db.engine.url
    running = current_app.extensions.get("lukluk_offsite_send")
    if not offsite.read_settings(instance).places():
        flash(_("Set a USB stick or a repository first."), "error")
    elif running is not None and running.is_alive():
        flash(_("A copy is on its way already."), "error")
    else:
        app = current_app._get_current_object()

        def run():
            with app.app_context():
                try:
                    backup.take(instance, keep_days=keep, url=url)
                except Exception:  # noqa: BLE001 — the status file and the log say it; the page shows them
                    backup.log.exception("Backup on request failed")

        thread = threading.Thread(target=run, name="backup-on-request")
        current_app.extensions["lukluk_offsite_send"] = thread
        thread.start()
        audit.record("backup.send", user_id=g.user.id)
        flash(_("The copy is on its way: this page shows how it went in a minute or two."), "success")
    return redirect(url_for("core.backups"))


@bp.get("/admin/backups/sheet")
@access(Access.ADMIN)
def recovery_sheet():
    """The recovery sheet: the places and this PC's key, with how to restore the shop on a new PC. Print it
    once and keep it away from the shop's PC."""
    instance = current_app.instance_path
    settings = offsite.read_settings(instance)
    if not settings.places():
        flash(_("Set a USB stick or a repository first: the sheet names them."), "error")
        return redirect(url_for("core.backups"))
    audit.record("backup.sheet", user_id=g.user.id)
    db.session.commit()  # a GET is not committed by the request: the showing of the key is kept
    response = make_response(render_template("core/recovery_sheet.html", settings=settings,
                                             key=offsite.key(instance), printed=datetime.now()))
    response.headers["Cache-Control"] = "no-store"
    return response
