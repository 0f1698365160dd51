"""Forms of the manager's category and item pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional

from ..core.validation import WholeNumberField, choice_id, longest
from .models import VAT_CODES

REQUIRED = DataRequired(_l("This field is required."))


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[REQUIRED, longest(60)])
    default_price = StringField(_l("Typical price (zł)"), validators=[REQUIRED, longest(20)],
                                render_kw={"inputmode": "decimal"})
    vat_code = SelectField(_l("VAT code"), choices=[SelectChoice(c) for c in VAT_CODES], default="zw")
    active = BooleanField(_l("Active"), default=True)
    fiscal_name = StringField(_l("Name on the fiscal receipt"), validators=[longest(40)])
    fiscal_from_first_sale = BooleanField(_l("The law wants these goods on a fiscal receipt from the first sale"))


class ItemForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice("unique", _l("A unique donated item (own label)")),
                                            SelectChoice("bulk", _l("Bulk stock at one price (e.g. paperbacks)"))])
    description = StringField(_l("Description"), validators=[REQUIRED, longest(200)])
    category_id = SelectField(_l("Category"), coerce=choice_id, validate_choice=False)
    price = StringField(_l("Price (zł)"), validators=[REQUIRED, longest(20)], render_kw={"inputmode": "decimal"})
    quantity = WholeNumberField(_l("Quantity on hand (bulk only)"), default=1,
                            validators=[Optional(), NumberRange(1, 9999, message=_l("From 1 to 9999."))])


class ItemEditForm(FlaskForm):
    description = StringField(_l("Description"), validators=[REQUIRED, longest(200)])
    category_id = SelectField(_l("Category"), coerce=choice_id, validate_choice=False)
    price = StringField(_l("Price (zł)"), validators=[REQUIRED, longest(20)], render_kw={"inputmode": "decimal"})
    reason = StringField(_l("Reason for a price change"), validators=[Optional(), longest(200)])
    add_quantity = WholeNumberField(_l("Add to quantity on hand (bulk only)"),
                                validators=[Optional(), NumberRange(1, 9999, message=_l("From 1 to 9999."))])
