"""A stock take: the items of one category scanned on the floor; what was not found can be marked lost. And
the stock figures the long reports read, summed after each close."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import utcnow
from ..extensions import db


class TakeStatus(str, enum.Enum):
    OPEN = "open"
    FINISHED = "finished"


class StockTake(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    status: Mapped[TakeStatus] = mapped_column(
        db.Enum(TakeStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=TakeStatus.OPEN)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    finished_at: Mapped[datetime | None]
    #: How many missing items were marked lost when it finished.
    lost_count: Mapped[int] = mapped_column(default=0)

    category = relationship("Category")
    started_by = relationship("User", foreign_keys=[started_by_id])


class StockTakeScan(db.Model):
    """One item found on the floor during a stock take (scanning it twice counts once)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    take_id: Mapped[int] = mapped_column(ForeignKey("stock_take.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    scanned_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("take_id", "item_id"),)


class StockFigure(db.Model):
    """The unique items taken in and the goods of each donation, summed after each day's close so a report
    over a year reads these instead of a hundred thousand item rows (see ``stock.figures``).

    Derived and replaced whole at every refresh (all rows share ``taken_at``); never a record of its own.
    A cohort row has ``day`` (the shop's date of intake), ``category_id`` and ``band`` (an index into
    ``PRICE_BANDS``): unique items taken in, how many have sold and their days to sell. A batch row has
    ``batch_id``: every item of the donation and their prices."""

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime]
    day: Mapped[date | None] = mapped_column(Date)
    category_id: Mapped[int | None]
    band: Mapped[int | None]
    batch_id: Mapped[int | None]
    items: Mapped[int] = mapped_column(default=0)
    sold: Mapped[int] = mapped_column(default=0)
    sold_days: Mapped[float] = mapped_column(Float, default=0.0)
    priced_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        # A year's cohort is read from the index alone; a donation's row is found by its id.
        Index("ix_stock_figure_cohort", "day", "category_id", "band", "items", "sold", "sold_days"),
        Index("ix_stock_figure_batch", "batch_id", "items", "priced_minor"),
    )
