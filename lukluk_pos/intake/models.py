"""Donation batches, donors (kept only with consent), the price guide, rotation rules, removals."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import utcnow
from ..extensions import db


def _enum(cls, length=24):
    return db.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Source(str, enum.Enum):
    ANONYMOUS = "anonymous"  #: a bag left at the door
    INDIVIDUAL = "individual"
    BUSINESS = "business"
    PARTNER = "partner"  #: a partner organisation


class Condition(str, enum.Enum):
    NEW_WITH_TAGS = "new_with_tags"
    VERY_GOOD = "very_good"
    GOOD = "good"
    FAIR = "fair"


#: Without a price guide row, a condition moves the category's typical price by this percentage.
CONDITION_PERCENT = {Condition.NEW_WITH_TAGS: 150, Condition.VERY_GOOD: 100, Condition.GOOD: 80, Condition.FAIR: 50}


class Donor(db.Model):
    """A named donor, kept only with recorded consent; erasing blanks the person, keeps the figures."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    consent_purpose: Mapped[str] = mapped_column(String(200))
    #: As typed for a gift confirmation: the address, and the NIP when the donor is a firm.
    address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    nip: Mapped[str] = mapped_column(String(10), default="", server_default="")
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]


class DonationBatch(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    source: Mapped[Source] = mapped_column(_enum(Source), default=Source.ANONYMOUS)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donor.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    #: The intake week's tag colour, fixed when the batch came in (labels carry it).
    tag_colour: Mapped[str] = mapped_column(String(20), default="")

    donor: Mapped[Donor | None] = relationship()
    received_by = relationship("User")


class PriceGuide(db.Model):
    """Typical, lowest and highest price of a category in a condition (grosze), kept by the manager."""

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    condition: Mapped[Condition] = mapped_column(_enum(Condition))
    typical_minor: Mapped[int]
    min_minor: Mapped[int]
    max_minor: Mapped[int]

    __table_args__ = (UniqueConstraint("category_id", "condition", name="uq_price_guide_category_condition"),)


class RotationRule(db.Model):
    """After N weeks mark down by P %, after M weeks pull; per category, or the default (no category)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), unique=True)
    markdown_after_weeks: Mapped[int] = mapped_column(default=3)
    markdown_percent: Mapped[int] = mapped_column(default=30)
    pull_after_weeks: Mapped[int] = mapped_column(default=6)


class Destination(str, enum.Enum):
    PARTNER = "partner"  #: passed to a partner organisation
    TEXTILE_RECYCLING = "textile_recycling"
    WASTE = "waste"
    OTHER = "other"


class Cause(str, enum.Enum):
    """Why an item left the floor without being sold (reports count each separately)."""

    ROTATION = "rotation"  #: pulled by the rotation rules (unsold for weeks)
    DAMAGED = "damaged"
    UNSELLABLE = "unsellable"
    LOST = "lost"  #: missing at a stock take
    OTHER = "other"


class ItemRemoval(db.Model):
    """An item taken off the floor (pulled by rotation, damaged…): where it went and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    cause: Mapped[Cause] = mapped_column(_enum(Cause), default=Cause.ROTATION, server_default=Cause.ROTATION.value)
    reason: Mapped[str] = mapped_column(String(200))
    destination: Mapped[Destination] = mapped_column(_enum(Destination))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class GiftConfirmation(db.Model):
    """The confirmation of a gift as first issued: the donor, the shop, the goods with their quantities and
    values as accepted. Fixed then and reprinted from here, identical, whatever was sold since."""

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("donation_batch.id"), unique=True)
    data: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
