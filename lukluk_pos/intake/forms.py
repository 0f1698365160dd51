"""Forms of the intake screens."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from ..core.validation import WholeNumberField, choice_id, longest
from .models import Condition, Destination, Source

REQUIRED = DataRequired(_l("This field is required."))

SOURCES = [SelectChoice(Source.ANONYMOUS.value, _l("Anonymous (left at the door)")),
           SelectChoice(Source.INDIVIDUAL.value, _l("A person")),
           SelectChoice(Source.BUSINESS.value, _l("A business")),
           SelectChoice(Source.PARTNER.value, _l("A partner organisation"))]
CONDITIONS = [SelectChoice(Condition.NEW_WITH_TAGS.value, _l("New with tags")),
              SelectChoice(Condition.VERY_GOOD.value, _l("Very good")),
              SelectChoice(Condition.GOOD.value, _l("Good")),
              SelectChoice(Condition.FAIR.value, _l("Fair"))]
DESTINATIONS = [SelectChoice(Destination.PARTNER.value, _l("Passed to a partner organisation")),
                SelectChoice(Destination.TEXTILE_RECYCLING.value, _l("Textile recycling")),
                SelectChoice(Destination.WASTE.value, _l("Thrown away")),
                SelectChoice(Destination.OTHER.value, _l("Other"))]


class BatchForm(FlaskForm):
    source = SelectField(_l("Where it came from"), choices=SOURCES)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), longest(1000)])
    donor_name = StringField(_l("Donor's name (only with consent)"), validators=[Optional(), longest(120)])
    donor_contact = StringField(_l("Donor's contact (only with consent)"), validators=[Optional(), longest(200)])
    consent = BooleanField(_l("The donor agrees that we keep these details"))
    consent_purpose = StringField(_l("For what (e.g. a thank-you letter)"), validators=[Optional(), longest(200)])


class ItemForm(FlaskForm):
    category_id = SelectField(_l("Category"), coerce=choice_id, validate_choice=False)
    condition = SelectField(_l("Condition"), choices=CONDITIONS, default=Condition.VERY_GOOD.value)
    description = StringField(_l("Description"), validators=[REQUIRED, longest(200)], render_kw={"autofocus": True})
    size = StringField(_l("Size"), validators=[Optional(), longest(20)])
    brand = StringField(_l("Brand"), validators=[Optional(), longest(60)])
    colour = StringField(_l("Colour"), validators=[Optional(), longest(40)])
    price = StringField(_l("Price (zł)"), validators=[REQUIRED, longest(20)], render_kw={"inputmode": "decimal"})
    quantity = WholeNumberField(_l("How many identical pieces"), default=1,
                            validators=[NumberRange(1, 500, message=_l("From 1 to 500."))])
    code = StringField(_l("Own code (only if it already has a label)"), validators=[Optional(), longest(13)],
                       render_kw={"inputmode": "numeric"})
    confirm = BooleanField(_l("The price is right even outside the guide"))


class GuideForm(FlaskForm):
    weight_g = WholeNumberField(_l("Weight of one item (g)"), validators=[NumberRange(0, 200_000, message=_l("From 0 to 200000."))])
    markdown_after_weeks = WholeNumberField(_l("Mark down after (weeks)"), validators=[NumberRange(1, 52, message=_l("From 1 to 52."))])
    markdown_percent = WholeNumberField(_l("Markdown (%)"), validators=[NumberRange(1, 90, message=_l("From 1 to 90."))])
    pull_after_weeks = WholeNumberField(_l("Pull after (weeks)"), validators=[NumberRange(1, 104, message=_l("From 1 to 104."))])


class PullForm(FlaskForm):
    code = StringField(_l("Scan the item to pull"), validators=[REQUIRED, longest(32)],
                       render_kw={"inputmode": "numeric", "autofocus": True, "autocomplete": "off"})
    reason = StringField(_l("Reason"), validators=[REQUIRED, longest(200)])
    destination = SelectField(_l("Where it goes"), choices=DESTINATIONS)


class ColoursForm(FlaskForm):
    tag_colours = StringField(_l("Tag colours of the intake weeks, in turn"), validators=[REQUIRED, longest(200)])
