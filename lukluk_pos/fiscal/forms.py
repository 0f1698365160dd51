"""Forms of the fiscal printer's pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, ValidationError
from wtforms.validators import DataRequired

from ..core.validation import longest
from . import device


class FiscalPrinterForm(FlaskForm):
    fiscal_printer = StringField(_l("Fiscal printer"), validators=[longest(220)])

    def validate_fiscal_printer(self, field):
        try:
            device.parse(field.data)
        except ValueError as exc:
            raise ValidationError(_l("Write it as %(form)s.", form=str(exc))) from exc


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("This field is required.")), longest(300)])
    number = StringField(_l("Receipt number on the paper roll"), validators=[longest(12)])
