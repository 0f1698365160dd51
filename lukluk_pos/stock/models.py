"""A stock take: the items of one category scanned on the floor; what was not found can be marked lost."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
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
