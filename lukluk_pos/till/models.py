"""Sales and refunds as documents: an open basket becomes a completed sale or a voided one."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, literal_column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import partial_index
from ..core.errors import DomainError
from ..core.models import Till, utcnow
from ..extensions import db


def _enum(cls, length=16):
    return db.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class SaleKind(str, enum.Enum):
    SALE = "sale"
    REFUND = "refund"  #: a new document linked to the sale it refunds; amounts are positive


class SaleStatus(str, enum.Enum):
    OPEN = "open"  #: a basket at the till, stored from its first line
    COMPLETED = "completed"
    VOIDED = "voided"


#: The only moves a sale's status may make.
TRANSITIONS: dict[SaleStatus, frozenset[SaleStatus]] = {
    SaleStatus.OPEN: frozenset({SaleStatus.COMPLETED, SaleStatus.VOIDED}),
    SaleStatus.COMPLETED: frozenset(),
    SaleStatus.VOIDED: frozenset(),
}


class IllegalTransition(DomainError):
    code = "illegal_transition"
    message = _l("This sale is already finished.")


def transition(sale: "Sale", new: SaleStatus) -> None:
    """Move a sale to a new status, or raise if the move is not allowed."""
    if new not in TRANSITIONS[sale.status]:
        raise IllegalTransition()
    sale.status = new


class PaymentMethod(str, enum.Enum):
    CASH = "cash"
    CARD = "card"  #: taken on the separate card terminal; recorded here


#: ``status = 'open'`` written as a literal, so SQLite can use the partial index on open baskets.
OPEN_SQL = literal_column("'open'")


class Sale(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SaleKind] = mapped_column(_enum(SaleKind), default=SaleKind.SALE)
    status: Mapped[SaleStatus] = mapped_column(_enum(SaleStatus), default=SaleStatus.OPEN)
    till_id: Mapped[int] = mapped_column(ForeignKey("till.id"))
    #: The till session it was completed (or voided) in, and that session's business day.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("till_session.id"), index=True)
    business_date: Mapped[date | None] = mapped_column(Date)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: Who completed (or voided) it.
    cashier_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Receipt number: sequential across all tills, given at completion, no gaps.
    number: Mapped[int | None] = mapped_column(unique=True)
    #: The till's client-generated key: a repeated completion returns this same sale. Unique per kind:
    #: completion keys and refund keys are two namespaces (a sale's key never finds a refund, nor the reverse).
    completion_key: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str] = mapped_column(String(200), default="")
    refund_of_id: Mapped[int | None] = mapped_column(ForeignKey("sale.id"), index=True)
    refund_reason: Mapped[str] = mapped_column(String(200), default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Basket discount as asked for: a percentage or an amount in grosze (not both).
    discount_percent: Mapped[int | None]
    discount_amount_minor: Mapped[int | None]
    discount_reason: Mapped[str] = mapped_column(String(200), default="")
    #: Snapshots taken at completion (grosze): lines after line discounts, basket discount, total.
    subtotal_minor: Mapped[int] = mapped_column(default=0)
    discount_minor: Mapped[int] = mapped_column(default=0)
    total_minor: Mapped[int] = mapped_column(default=0)
    #: The buyer's NIP for a receipt with NIP (fiscal-printer mode), typed before payment; "" for none.
    buyer_nip: Mapped[str] = mapped_column(String(10), default="", server_default="")
    #: Pieces sold (or refunded), the lines' quantities summed at completion.
    item_count: Mapped[int] = mapped_column(default=0, server_default="0")

    lines: Mapped[list["SaleLine"]] = relationship(
        back_populates="sale", order_by="SaleLine.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list["Payment"]] = relationship(back_populates="sale", order_by="Payment.id")
    till: Mapped[Till] = relationship()
    cashier = relationship("User", foreign_keys=[cashier_id])
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    refund_of: Mapped["Sale | None"] = relationship(remote_side=[id])

    __table_args__ = (
        UniqueConstraint("completion_key", "kind", name="uq_sale_completion_key_kind"),
        # The open basket is one row among years of completed sales: a partial index keeps finding it
        # instant whatever the statistics say (queries compare with the literal OPEN_SQL to use it).
        partial_index("ix_sale_open_basket", "till_id", where="status = 'open'"),
        # Reports sum sales per business day: this index holds every column they read, so a year or five
        # of days is summed from the index alone, never from the table.
        Index("ix_sale_day_totals", "business_date", "status", "kind", "total_minor", "discount_minor",
              "item_count", "cashier_id"),
    )


class SaleLine(db.Model):
    """A line copies what was sold (description, price, VAT code) so later edits change nothing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"))
    position: Mapped[int]
    #: None for an open-price line (unlabelled goods rung up by category).
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    description: Mapped[str] = mapped_column(String(200))
    vat_code: Mapped[str] = mapped_column(String(4))
    unit_price_minor: Mapped[int]
    #: The item's own price when the till overrode it (None: not overridden).
    list_price_minor: Mapped[int | None]
    quantity: Mapped[int] = mapped_column(default=1)
    discount_percent: Mapped[int | None]
    discount_amount_minor: Mapped[int | None]
    discount_reason: Mapped[str] = mapped_column(String(200), default="")
    #: This line's share of the basket discount, fixed at completion.
    basket_discount_minor: Mapped[int] = mapped_column(default=0)
    #: What the customer paid for this line (refunds: what was paid back), fixed at completion.
    total_minor: Mapped[int] = mapped_column(default=0)
    refund_of_line_id: Mapped[int | None] = mapped_column(ForeignKey("sale_line.id"), index=True)
    #: Refund lines: whether the item went back to stock (else written off).
    restock: Mapped[bool | None]

    sale: Mapped[Sale] = relationship(back_populates="lines")
    item = relationship("Item")
    category = relationship("Category")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_minor >= 0", name="price_nonnegative"),
        # Finds a sale's lines and holds what the reports sum per line, so a year of lines is summed
        # from the index alone.
        Index("ix_sale_line_sale_id", "sale_id", "category_id", "quantity", "total_minor", "unit_price_minor",
              "basket_discount_minor"),
    )


class Payment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod))
    #: What this payment settles (sale) or pays back (refund), in grosze.
    amount_minor: Mapped[int]
    #: Cash handed over by the customer, and the change given back (cash sales only).
    tendered_minor: Mapped[int | None]
    change_minor: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sale: Mapped[Sale] = relationship(back_populates="payments")

    __table_args__ = (CheckConstraint("amount_minor >= 0", name="amount_nonnegative"),)
