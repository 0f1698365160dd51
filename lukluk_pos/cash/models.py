"""The drawer and the day: till sessions with their float, cash movements, the blind count with its
sign-off, and the business day that closes with a Z report and stays locked.

Everything here is a record of something that happened. A session moves once from open to closed
(its count is written in that move); a day moves between open and closed only through a Z report
(closing) or an admin's reopening, and each of those is its own row. Corrections to a closed day are
adjustments, dated, that show in the next report.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String, literal_column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import partial_index
from ..core.models import utcnow
from ..extensions import db

#: Polish notes and coins, in grosze, largest first (500 zł down to 1 gr).
DENOMINATIONS: tuple[int, ...] = (50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1)


def _enum(cls, length=16):
    return db.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class SessionStatus(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


#: ``status = 'open'`` as a literal, so both databases use the partial index on open sessions.
SESSION_OPEN_SQL = literal_column("'open'")


class TillSession(db.Model):
    """One till from opening with a float to the closing count. Its sales, refunds and movements make
    up the cash that should be in the drawer; the business day is the shop's date when it opened."""

    id: Mapped[int] = mapped_column(primary_key=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("till.id"), index=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[SessionStatus] = mapped_column(_enum(SessionStatus), default=SessionStatus.OPEN)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    float_minor: Mapped[int]
    #: The float counted by denomination ({"5000": 2, ...}); None when carried over.
    float_counts: Mapped[dict | None] = mapped_column(JSON)
    #: The session whose kept cash became this float (carry-over), if any.
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("till_session.id"))

    # The closing count, written once when the session closes.
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None]
    counts: Mapped[dict | None] = mapped_column(JSON)
    counted_minor: Mapped[int | None]
    expected_minor: Mapped[int | None]
    #: counted − expected: negative is short, positive is over.
    difference_minor: Mapped[int | None]
    #: Cash left in the drawer as the next float; the rest goes to the safe or the bank.
    kept_minor: Mapped[int | None]
    #: The card terminal's end-of-day total as typed, and the system's card total for the session.
    card_terminal_minor: Mapped[int | None]
    card_system_minor: Mapped[int | None]

    till = relationship("Till")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    movements: Mapped[list["CashMovement"]] = relationship(back_populates="session", order_by="CashMovement.id")
    sign_off: Mapped["CountSignOff | None"] = relationship(back_populates="session")

    __table_args__ = (
        # One open session per till, enforced by the database itself.
        partial_index("ux_till_session_open", "till_id", unique=True, where="status = 'open'"),
        CheckConstraint("float_minor >= 0", name="float_nonnegative"),
    )


class MovementKind(str, enum.Enum):
    PAID_IN = "paid_in"  #: cash put into the drawer (e.g. more change from the safe)
    PAID_OUT = "paid_out"  #: cash taken out to pay for something (cleaning supplies)
    DROP = "drop"  #: takings moved from the drawer to the safe during the day


class CashMovement(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("till_session.id"), index=True)
    kind: Mapped[MovementKind] = mapped_column(_enum(MovementKind))
    amount_minor: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[TillSession] = relationship(back_populates="movements")
    user = relationship("User")

    __table_args__ = (CheckConstraint("amount_minor > 0", name="movement_positive"),)


class CountSignOff(db.Model):
    """A manager's acceptance of a count whose difference is over the shop's tolerance."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("till_session.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    comment: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[TillSession] = relationship(back_populates="sign_off")
    user = relationship("User")


class DayStatus(str, enum.Enum):
    OPEN = "open"  #: reopened by an admin (a day with no row has never been closed)
    CLOSED = "closed"


class BusinessDay(db.Model):
    """A day that has been closed at least once; ``status`` says whether it is locked now."""

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[DayStatus] = mapped_column(_enum(DayStatus))


class ZReport(db.Model):
    """The daily report as printed at closing: a gapless number and the figures as they stood."""

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: Fiscal register mode: the register's own daily report as typed ({"by_vat": {...}, "receipts": n}).
    fiscal: Mapped[dict | None] = mapped_column(JSON)
    #: The report's figures at closing (what was printed), for the record.
    figures: Mapped[dict] = mapped_column(JSON)

    user = relationship("User")


class DayTotal(db.Model):
    """A closed day's sales summed once, when its Z report is made, so a report over a year reads a few
    hundred of these instead of every sale line. One row per day and ``dimension``: ``day`` (key ""),
    ``category``, ``cashier`` and ``batch`` (their ids) and ``method`` (cash, card). Written with the Z
    report and never changed: a day reopened and closed again has a new Z report with new rows, and the
    reports read the last one's (see ``cash.totals``)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    z_report_id: Mapped[int] = mapped_column(ForeignKey("z_report.id"))
    day: Mapped[date] = mapped_column(Date)
    dimension: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(40))
    sales_count: Mapped[int] = mapped_column(default=0)
    sales_quantity: Mapped[int] = mapped_column(default=0)
    sales_minor: Mapped[int] = mapped_column(BigInteger, default=0)  #: many baskets' worth
    refunds_count: Mapped[int] = mapped_column(default=0)
    refunds_quantity: Mapped[int] = mapped_column(default=0)
    refunds_minor: Mapped[int] = mapped_column(BigInteger, default=0)  #: many baskets' worth
    discounts_minor: Mapped[int] = mapped_column(BigInteger, default=0)  #: many baskets' worth
    voids_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        Index("ix_day_total_day", "dimension", "day", "key"),
        Index("ix_day_total_key", "dimension", "key", "z_report_id"),
    )


class DayReopening(db.Model):
    """An admin's reopening of a closed day, with the reason."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")


class Adjustment(db.Model):
    """A manager's correction to a closed day: money by a payment method, as revenue of a category
    (or a general correction), shown in the report of ``reported_on`` — the first day still open."""

    id: Mapped[int] = mapped_column(primary_key=True)
    affects_day: Mapped[date] = mapped_column(Date)
    reported_on: Mapped[date] = mapped_column(Date, index=True)
    method: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    #: Signed: positive adds money that was not recorded, negative takes away money that was.
    amount_minor: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category = relationship("Category")
    user = relationship("User")

    __table_args__ = (CheckConstraint("amount_minor <> 0", name="adjustment_nonzero"),)


class LedgerAccount(db.Model):
    """The bookkeeper's account number for one key of the journal (``cash``, ``category:3``...)."""

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
