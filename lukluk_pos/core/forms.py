"""The admin's form for the copies off the machine."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import NumberRange, ValidationError

from .offsite import MAX_ADDRESS
from .validation import WholeNumberField, longest

#: What restic opens besides a path: its remote back ends, as its documentation names them.
REPOSITORY_KINDS = ("sftp:", "rest:", "s3:", "b2:", "azure:", "gs:", "swift:", "rclone:")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\s]")


def _folder(form, field):
    value = (field.data or "").strip()
    field.data = value
    if not value:
        return
    if _UNSAFE.search(value) or not value.startswith("/") or "/../" in value + "/":
        raise ValidationError(_l("Write the folder's full path, starting with / and without spaces (for example "
                                 "/media/pendrive)."))


def _repository(form, field):
    value = (field.data or "").strip()
    field.data = value
    if not value:
        return
    if _UNSAFE.search(value):
        raise ValidationError(_l("The address has no spaces or control characters."))
    if not (value.startswith("/") or value.startswith(REPOSITORY_KINDS)):
        raise ValidationError(_l("Start the address with sftp:, rest:, s3:, b2:, azure:, gs:, swift:, rclone: or /."))


class OffsiteForm(FlaskForm):
    folder = StringField(_l("USB stick or mounted folder"), validators=[longest(MAX_ADDRESS), _folder],
                         render_kw={"placeholder": "/media/pendrive", "autocomplete": "off"})
    repository = StringField(_l("restic repository"), validators=[longest(MAX_ADDRESS), _repository],
                             render_kw={"placeholder": "sftp:kopie@serwer.example:/lukluk", "autocomplete": "off"})
    keep_daily = WholeNumberField(_l("Daily copies kept"), validators=[NumberRange(1, 366, message=_l("From 1 to 366."))])
    keep_weekly = WholeNumberField(_l("Weekly copies kept"), validators=[NumberRange(0, 520, message=_l("From 0 to 520."))])
    keep_monthly = WholeNumberField(_l("Monthly copies kept"),
                                    validators=[NumberRange(0, 600, message=_l("From 0 to 600."))])
