"""What the fiscal device did with each sale, and the registers Polish rules ask for beside it."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.errors import DomainError
from ..core.models import utcnow
from ..extensions import db


def _enum(cls, length=16):
    return db.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class RegistrationStatus(str, enum.Enum):
    PENDING = "pending"  #: to register: the sale is paid, its fiscal receipt is not (yet) printed
    REGISTERED = "registered"  #: the device printed the fiscal receipt (``receipt_number``)
    #: The device's counters moved by more than this one receipt: someone must look at the paper roll.
    UNCERTAIN = "uncertain"
    VOIDED = "voided"  #: never registered, by a manager's decision with a reason (audited)


TRANSITIONS: dict[RegistrationStatus, frozenset[RegistrationStatus]] = {
    RegistrationStatus.PENDING: frozenset({RegistrationStatus.REGISTERED, RegistrationStatus.UNCERTAIN,
                                           RegistrationStatus.VOIDED}),
    RegistrationStatus.UNCERTAIN: frozenset({RegistrationStatus.REGISTERED, RegistrationStatus.PENDING,
                                             RegistrationStatus.VOIDED}),
    RegistrationStatus.REGISTERED: frozenset(),
    RegistrationStatus.VOIDED: frozenset(),
}


class IllegalMove(DomainError):
    code = "fiscal_state"
    message = _l("This sale's fiscal receipt is already settled.")


def transition(row: "FiscalRegistration", new: RegistrationStatus) -> None:
    """Move a registration to a new status, or raise if the move is not allowed."""
    if new not in TRANSITIONS[row.status]:
        raise IllegalMove()
    row.status = new


class FiscalRegistration(db.Model):
    """One sale on the fiscal device: written "to register" in the sale's own transaction."""

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), unique=True)
    status: Mapped[RegistrationStatus] = mapped_column(_enum(RegistrationStatus), default=RegistrationStatus.PENDING,
                                                       index=True)
    #: The device setting in force when the sale was made ("emulator", "posnet:10.0.0.5:6666" …).
    device: Mapped[str] = mapped_column(String(220))
    #: While a receipt may be on its way: the device's counters read just before sending (daily reports,
    #: last receipt number). Set and committed before anything is sent; SQL NULL once the device's
    #: counters (or its answer) settled it. At most one registration per device has them.
    in_flight_reports: Mapped[int | None]
    in_flight_receipt: Mapped[int | None]
    #: The names of goods as sent to the device, one per sale line in order (the returns register
    #: quotes them; a category's fiscal name may change later).
    names: Mapped[list | None] = mapped_column(JSON)
    #: The fiscal receipt's number as the device printed it, and its daily-report count then.
    receipt_number: Mapped[int | None]
    daily_reports: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    #: The device's last refusal, in the words the till showed.
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered_at: Mapped[datetime | None]
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    void_reason: Mapped[str] = mapped_column(String(300), default="")

    #: Bumped by every write (SQLAlchemy's ``version_id_col``): a write of a registration that another
    #: request or process moved since it was read fails (``StaleDataError``) instead of overwriting it, so a
    #: retry can never mark and print a sale the manager voided or settled by hand meanwhile.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    sale = relationship("Sale")

    __mapper_args__ = {"version_id_col": version}

    @property
    def in_flight(self) -> list[int] | None:
        """The mark as [daily reports, last receipt], or None when nothing is on its way."""
        if self.in_flight_reports is None or self.in_flight_receipt is None:
            return None
        return [self.in_flight_reports, self.in_flight_receipt]

    def mark(self, mark: list[int] | None) -> None:
        self.in_flight_reports, self.in_flight_receipt = mark if mark is not None else (None, None)


class FiscalDevice(db.Model):
    """A fiscal device's turn: one conversation with it at a time, across requests and processes.

    The turn is a lease written in one short statement (``UPDATE … WHERE holder IS NULL OR …``): no
    database transaction stays open while the device prints. A holder that died (SIGKILL) is seen by its
    process being gone on this machine, or by the lease running out (``held_until``).
    """

    __tablename__ = "fiscal_device"

    key: Mapped[str] = mapped_column(String(220), primary_key=True)
    #: "host:pid:random" of the conversation holding the device, or None.
    holder: Mapped[str | None] = mapped_column(String(120))
    held_until: Mapped[datetime | None]


class DailyReportStatus(str, enum.Enum):
    MARKED = "marked"  #: committed before ``dailyrep`` was sent: the counters decide whether it printed
    PRINTED = "printed"


class FiscalDailyReport(db.Model):
    """The device's daily report of a business day, marked before it is printed (exactly once).

    The totals are read from the device before the report (the report zeroes them) and kept here, so a
    close that crashed after the report printed reads them back instead of printing another.
    """

    __table_args__ = (UniqueConstraint("device", "business_date", name="uq_fiscal_daily_report_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device: Mapped[str] = mapped_column(String(220))
    business_date: Mapped[date] = mapped_column(Date)
    status: Mapped[DailyReportStatus] = mapped_column(_enum(DailyReportStatus), default=DailyReportStatus.MARKED)
    #: The device's daily-report count before this report: the report is number ``reports_before + 1``.
    reports_before: Mapped[int]
    #: Gross per VAT code (grosze) and the receipts since the previous report, as the device held them.
    by_vat: Mapped[dict] = mapped_column(JSON, default=dict)
    receipts: Mapped[int | None]
    #: The date the device printed it with (its own clock: after midnight it is the next calendar day).
    device_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_at: Mapped[datetime | None]

    @property
    def number(self) -> int:
        return self.reports_before + 1


class RegisterKind(str, enum.Enum):
    RETURN = "return"  #: the customer brought goods back (ewidencja zwrotów)
    CORRECTION = "correction"  #: an obvious mistake at the till (ewidencja korekt)


class FiscalRegisterEntry(db.Model):
    """A refund in fiscal-printer mode: not a fiscal receipt, a line in the returns or corrections register.

    The original receipt's number and date are copied here when the refund is made, so the register
    reads the same whatever happens later.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RegisterKind] = mapped_column(_enum(RegisterKind), index=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), unique=True)
    original_sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"))
    #: The original fiscal receipt as printed (None when the sale had no fiscal receipt yet).
    receipt_number: Mapped[int | None]
    receipt_date: Mapped[date | None] = mapped_column(Date)
    #: The goods as the fiscal receipt named them, copied when the refund is made: one dict a line with
    #: ``name`` (the fiscal name), ``quantity``, ``amount_minor`` (gross returned), ``vat_code`` and
    #: ``tax_minor`` (the VAT in that amount).
    goods: Mapped[list] = mapped_column(JSON, default=list)
    #: The buyer who confirms the return with their name (returns) — empty for corrections.
    buyer_name: Mapped[str] = mapped_column(String(120), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    business_date: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    refund = relationship("Sale", foreign_keys=[refund_id])
    original = relationship("Sale", foreign_keys=[original_sale_id])
    user = relationship("User", foreign_keys=[user_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
