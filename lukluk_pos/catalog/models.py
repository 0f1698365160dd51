"""What there is to sell."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false, literal_column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import partial_index
from ..core.models import utcnow
from ..extensions import db

#: VAT codes a category may carry; ``zw`` (exempt) is the small charity shop's default.
VAT_CODES = ("zw", "23", "8", "5", "0")


def _enum(cls, length=16):
    return db.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Category(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    #: Typical price in grosze: pre-fills open-price entries and new items.
    default_price_minor: Mapped[int]
    vat_code: Mapped[str] = mapped_column(String(4), default="zw")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    #: The name the fiscal printer prints for goods of this category ("Sukienka damska używana"); empty:
    #: the category's name with "używane". Kept stable: the device binds a name to its VAT rate.
    fiscal_name: Mapped[str] = mapped_column(String(40), default="", server_default="")
    #: Goods the law wants on a fiscal device from the first sale (electronics, records, jewellery…).
    fiscal_from_first_sale: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Estimated weight of one item in grams (the impact report's kilograms kept out of landfill).
    weight_g: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (CheckConstraint("default_price_minor >= 0", name="price_nonnegative"),)


def fold(text: str) -> str:
    """Lower-case text for searching (Polish letters included)."""
    return text.casefold()


class ItemKind(str, enum.Enum):
    UNIQUE = "unique"  #: one donated piece with its own label
    BULK = "bulk"  #: price-point stock ("paperback 3 zł") with a quantity on hand


class ItemStatus(str, enum.Enum):
    IN_STOCK = "in_stock"
    IN_SALE = "in_sale"  #: in an open basket at a till (unique items only)
    SOLD = "sold"
    WRITTEN_OFF = "written_off"


#: ``status = 'in_stock'`` as a literal, so SQLite can use the partial index of items on sale.
IN_STOCK_SQL = literal_column("'in_stock'")


class Item(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: EAN-13 from the in-store prefix (see codes.py).
    code: Mapped[str] = mapped_column(String(13), unique=True)
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind), default=ItemKind.UNIQUE)
    description: Mapped[str] = mapped_column(String(200))
    #: The description folded to lower case in Python, so "łyżwy" finds "Łyżwy" on SQLite too
    #: (whose LIKE folds ASCII only); kept in step by ``set_description``.
    search_text: Mapped[str] = mapped_column(String(200), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    price_minor: Mapped[int]
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus), default=ItemStatus.IN_STOCK)
    #: Bulk stock only; may go below zero when the shelf had more than the count said.
    quantity_on_hand: Mapped[int] = mapped_column(default=1)
    #: How many pieces were taken in and at what price, as at intake (a gift confirmation's figures);
    #: None for items added before this was kept.
    received_quantity: Mapped[int | None]
    received_price_minor: Mapped[int | None]
    #: When it was taken in (indexed: the day report counts intake, the stock review filters by age).
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sold_at: Mapped[datetime | None]
    #: Intake details (None for items added before intake existed or by hand).
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("donation_batch.id"), index=True)
    condition: Mapped[str | None] = mapped_column(String(24))
    size: Mapped[str] = mapped_column(String(20), default="", server_default="")
    brand: Mapped[str] = mapped_column(String(60), default="", server_default="")
    colour: Mapped[str] = mapped_column(String(40), default="", server_default="")
    #: The intake week's tag colour printed on the label.
    tag_colour: Mapped[str] = mapped_column(String(20), default="", server_default="")
    #: Waiting in the label queue (new, or its price changed).
    label_pending: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: When rotation marked it down (it is marked down once).
    marked_down_at: Mapped[datetime | None]

    category: Mapped[Category] = relationship(lazy="joined")

    def set_description(self, text: str) -> None:
        self.description = text
        self.search_text = fold(text)

    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_nonnegative"),
        # The stock review filters by status and category and sorts by intake time: one index does all three.
        # Kind and markdown time ride along so the dashboard's aging and rotation counts over the floor's
        # ~20 000 items read the index alone (26 → 6 ms each on the five-year shop, not a row per item).
        Index("ix_item_status_category", "status", "category_id", "created_at", "kind", "marked_down_at"),
        # What is on sale is a small part of years of stock: the till's search walks this partial
        # index newest first and stops at the first matches (queries compare with IN_STOCK_SQL).
        partial_index("ix_item_in_stock", "id", where="status = 'in_stock'"),
    )


class PriceChange(db.Model):
    """A kept record of every price change: nothing is edited without a trace."""

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    old_price_minor: Mapped[int]
    new_price_minor: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")
