"""Forms of the sign-in, setup, user and settings screens."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp, ValidationError

from ..core.models import FiscalMode
from ..core.validation import WholeNumberField, longest, nip_problem, whole_number
from .models import Role

PIN = [Regexp(r"^[0-9]{4,6}$", message=_l("The PIN must be 4 to 6 digits."))]
PIN_INPUT = {"inputmode": "numeric", "autocomplete": "off", "pattern": r"[0-9]{4,6}", "maxlength": 6}


def clean_nip(value: str | None) -> str:
    return (value or "").replace("-", "").replace(" ", "")


class NipField(StringField):
    def pre_validate(self, form):
        problem = nip_problem(clean_nip(self.data).upper().removeprefix("PL")) if self.data else None
        if problem is not None:
            message, values = problem
            raise ValidationError(str(message) % values if values else str(message))


class ShopForm(FlaskForm):
    shop_name = StringField(_l("Shop name"), validators=[DataRequired(_l("This field is required.")), longest(120)])
    address = TextAreaField(_l("Address"), validators=[Optional(), longest(300)])
    nip = NipField(_l("NIP (tax number)"), validators=[Optional(), longest(13)])


class SetupForm(ShopForm):
    name = StringField(_l("Your name (shown on the till)"),
                       validators=[DataRequired(_l("This field is required.")), longest(60)])
    pin = PasswordField(_l("Your till PIN (4–6 digits)"), validators=PIN, render_kw=PIN_INPUT)
    password = PasswordField(_l("Your back-office password (at least 8 characters)"),
                             validators=[Length(min=8, max=200, message=_l("The password must be 8 to 200 characters."))])
    password_again = PasswordField(_l("The password again"),
                                   validators=[EqualTo("password", message=_l("The passwords differ."))])
    standard_categories = BooleanField(_l("Add the usual charity-shop categories"), default=True)


def optional_int(value):
    """A select's value as an int, or None when empty or not a number (the view picks a default)."""
    if isinstance(value, int):
        return value
    return whole_number(value) if isinstance(value, str) else None


class PinForm(FlaskForm):
    pin = PasswordField(_l("PIN"), validators=PIN, render_kw=PIN_INPUT | {"autofocus": True})
    till_id = SelectField(_l("Till"), coerce=optional_int, validate_choice=False)


class PasswordSignInForm(FlaskForm):
    user_id = SelectField(_l("Person's name"), coerce=optional_int, validate_choice=False)
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("This field is required.")), longest(200)])


class UserForm(FlaskForm):
    name = StringField(_l("Person's name"), validators=[DataRequired(_l("This field is required.")), longest(60)])
    role = SelectField(_l("Role"), choices=[
        SelectChoice(Role.VOLUNTEER.value, _l("Volunteer (till only)")),
        SelectChoice(Role.MANAGER.value, _l("Manager")),
        SelectChoice(Role.ADMIN.value, _l("Admin (users and settings)")),
    ])
    active = BooleanField(_l("Active"), default=True)
    pin = PasswordField(_l("PIN (4–6 digits)"), validators=[Optional()] + PIN, render_kw=PIN_INPUT)
    password = PasswordField(_l("Password (managers and admins)"), validators=[Optional(), Length(min=8, max=200)])


class SettingsForm(ShopForm):
    krs = StringField(_l("KRS number (printed on gift confirmations)"), filters=[lambda v: (v or "").strip()],
                      validators=[Optional(), Regexp(r"^\d{10}$", message=_l("The KRS number has 10 digits."))])
    receipt_footer = TextAreaField(_l("Receipt footer"), validators=[Optional(), longest(500)])
    discount_limit_percent = WholeNumberField(
        _l("Largest discount without a manager (%)"),
        validators=[NumberRange(0, 100, message=_l("From 0 to 100."))],
    )
    fiscal_mode = SelectField(_l("Receipts"), choices=[
        SelectChoice(FiscalMode.EXEMPT.value, _l("Exempt: non-fiscal receipts")),
        SelectChoice(FiscalMode.REGISTER.value, _l("Standalone fiscal cash register")),
        SelectChoice(FiscalMode.PRINTER.value, _l("Fiscal printer driven by the till")),
    ])


class TillForm(FlaskForm):
    till_name = StringField(_l("New till's name"), validators=[DataRequired(_l("This field is required.")), longest(40)])
