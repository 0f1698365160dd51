"""Forms of the cash pages: counting by notes and coins, movements, sign-off, closing the day."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from ..core.validation import WholeNumberField, choice_id, longest
from .models import DENOMINATIONS, MovementKind
from .service import MAX_PIECES

REQUIRED = DataRequired(_l("This field is required."))


def denomination_label(minor: int) -> str:
    return f"{minor // 100} zł" if minor >= 100 else f"{minor} gr"


def field_name(minor: int) -> str:
    return f"d{minor}"


class _Counted(FlaskForm):
    """Pieces per note and coin (fields ``d50000`` … ``d1``), added below."""

    def counts(self) -> dict[str, int]:
        return {str(minor): getattr(self, field_name(minor)).data for minor in DENOMINATIONS
                if getattr(self, field_name(minor)).data}

    def denomination_fields(self):
        return [getattr(self, field_name(minor)) for minor in DENOMINATIONS]


for _minor in DENOMINATIONS:
    setattr(_Counted, field_name(_minor), WholeNumberField(
        denomination_label(_minor), validators=[Optional(), NumberRange(0, MAX_PIECES, message=_l(
            "Type how many pieces: a whole number from 0 to %(max)d.", max=MAX_PIECES))],
        render_kw={"inputmode": "numeric", "min": 0, "data-value": _minor, "class": "piece-count"}))


class OpenForm(_Counted):
    carry_over = BooleanField(_l("Open with the cash left in the drawer at the last closing, without counting it again"))


class CountForm(_Counted):
    kept = StringField(_l("Left in the drawer for the next opening (zł)"), validators=[Optional(), longest(20)],
                       render_kw={"inputmode": "decimal"})
    card_terminal = StringField(_l("Card terminal's end-of-day total (zł)"), validators=[Optional(), longest(20)],
                                render_kw={"inputmode": "decimal"})


MOVEMENTS = [SelectChoice(MovementKind.PAID_OUT.value, _l("Paid out (e.g. cleaning supplies)")),
             SelectChoice(MovementKind.DROP.value, _l("Safe drop (takings to the safe)")),
             SelectChoice(MovementKind.PAID_IN.value, _l("Paid in (e.g. change from the safe)"))]


class MovementForm(FlaskForm):
    kind = SelectField(_l("What"), choices=MOVEMENTS)
    amount = StringField(_l("Amount (zł)"), validators=[REQUIRED, longest(20)], render_kw={"inputmode": "decimal"})
    reason = StringField(_l("Reason"), validators=[REQUIRED, longest(200)])


class SignOffForm(FlaskForm):
    comment = TextAreaField(_l("Comment (what happened)"), validators=[REQUIRED, longest(500)])
    manager_id = SelectField(_l("Manager"), coerce=choice_id, validate_choice=False)
    pin = StringField(_l("Manager's PIN"), validators=[Optional(), longest(6)],
                      render_kw={"inputmode": "numeric", "autocomplete": "off", "type": "password"})


class CloseDayForm(FlaskForm):
    """Closing is a manager's act: a manager signed in, or one approving with their PIN; always
    confirmed. In fiscal register mode also the register's daily report (``vat_<code>`` per code)."""

    confirm = BooleanField(_l("I have checked the figures: close the day and lock it"),
                           validators=[DataRequired(_l("Tick the box to confirm: a closed day is locked."))])
    manager_id = SelectField(_l("Manager"), coerce=choice_id, validate_choice=False)
    pin = StringField(_l("Manager's PIN"), validators=[Optional(), longest(6)],
                      render_kw={"inputmode": "numeric", "autocomplete": "off", "type": "password"})

    receipts = StringField(_l("Receipts on the register's daily report"), validators=[Optional(), longest(6)],
                           render_kw={"inputmode": "numeric"})


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Why the day is reopened"), validators=[REQUIRED, longest(500)])


class AdjustmentForm(FlaskForm):
    affects_day = StringField(_l("Day corrected (YYYY-MM-DD)"), validators=[REQUIRED, longest(10)],
                              render_kw={"placeholder": "2026-11-27"})
    method = SelectField(_l("Money"), choices=[SelectChoice("cash", _l("Cash")), SelectChoice("card", _l("Card"))])
    amount = StringField(_l("Amount (zł; minus to take away)"), validators=[REQUIRED, longest(20)],
                         render_kw={"inputmode": "decimal"})
    category_id = SelectField(_l("Category (for revenue; empty: a general correction)"), coerce=choice_id,
                              validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[REQUIRED, longest(500)])
