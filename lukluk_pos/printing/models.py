"""The print queue: every receipt, report, label or drawer pulse is a job printed after the commit."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import partial_index
from ..core.models import utcnow
from ..extensions import db


def _enum(cls, length=16):
    return db.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class JobKind(str, enum.Enum):
    RECEIPT = "receipt"
    REPORT = "report"  #: the day-close (Z) report
    LABEL = "label"  #: price labels (a later issue)
    DRAWER = "drawer"  #: open the cash drawer only
    TEST = "test"
    GIFT = "gift"  #: a gift confirmation for a donor


class JobStatus(str, enum.Enum):
    PENDING = "pending"  #: waiting, or retrying after a failure (see last_error)
    PRINTING = "printing"  #: claimed by the worker right now
    PRINTED = "printed"
    FAILED = "failed"  #: given up after MAX_ATTEMPTS; can be retried by hand
    PREVIEW = "preview"  #: no printer configured: kept for the browser to show


class PrintJob(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(_enum(JobKind))
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.PENDING)
    #: The sale (or refund) a receipt belongs to; None for other kinds.
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sale.id"), index=True)
    #: A reprint: the receipt says KOPIA.
    copy: Mapped[bool] = mapped_column(default=False)
    #: What to print, as layout blocks (see document.py), fixed when the job was made — except a sale's
    #: receipt, queued empty (None) in the sale's transaction and composed from the sale after its commit,
    #: by the print worker or the first reader (``service.compose``), then fixed.
    document: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_at: Mapped[datetime | None]
    #: The printer it went to (e.g. ``network:192.168.1.50``), for the record.
    printer: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        Index("ix_print_job_status_next", "status", "next_attempt_at"),
        # The receipts still to compose: a few at most, found without reading the whole queue's history.
        partial_index("ix_print_job_to_compose", "id", where="document IS NULL"),
    )
