"""The admin's printer form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import ValidationError

from ..core.validation import longest
from .devices import parse


class PrinterSettingField(StringField):
    def pre_validate(self, form):
        from .service import file_target

        try:
            spec = parse(self.data or "preview")
        except ValueError as exc:
            raise ValidationError(_l("Not a printer setting. Use one of: %(forms)s", forms=str(exc))) from None
        if spec.kind == "file":
            try:
                file_target(spec.target)
            except ValueError:
                raise ValidationError(_l("file: takes only a file name (file:receipts.bin); it is written in the "
                                         "instance's printer-output folder.")) from None


def printer_profiles() -> list[SelectChoice]:
    """python-escpos' printer profiles (its capabilities database)."""
    from escpos.capabilities import CAPABILITIES

    profiles = CAPABILITIES["profiles"]
    return [SelectChoice(name, f"{name} — {data.get('name', name)}") for name, data in sorted(profiles.items())]


class PrinterForm(FlaskForm):
    printer = PrinterSettingField(_l("Receipt printer"), validators=[longest(200)],
                                  render_kw={"placeholder": "network:192.168.1.50"})
    printer_profile = SelectField(_l("Printer profile"), validate_choice=True)
    paper_mm = SelectField(_l("Paper width"), coerce=int, choices=[SelectChoice(80, "80 mm"), SelectChoice(58, "58 mm")])
    printer_fs_dot = BooleanField(_l("Send FS . first (cheap clones that print Chinese characters)"))
