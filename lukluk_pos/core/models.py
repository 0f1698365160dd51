"""Shop-wide records: the shop's settings, gapless counters and the audit log."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import JSON, ForeignKey, String, Text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


def utcnow() -> datetime:
    """Timestamps are stored in UTC (naive) and shown in the shop's time zone."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class FiscalMode(str, enum.Enum):
    EXEMPT = "exempt"  #: non-fiscal receipts ("NIEFISKALNY"), under the exemption limit
    REGISTER = "register"  #: a standalone fiscal cash register rings every sale too
    PRINTER = "printer"  #: the till drives a fiscal printer: every sale registered on it exactly once


class Shop(db.Model):
    """The one shop this installation serves (row id 1), created by the first-start setup."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300), default="")
    #: Polish tax number, 10 digits, stored without dashes.
    nip: Mapped[str] = mapped_column(String(10), default="")
    #: The cooperative's number in the National Court Register (on gift confirmations).
    krs: Mapped[str] = mapped_column(String(10), default="", server_default="")
    fiscal_mode: Mapped[FiscalMode] = mapped_column(
        db.Enum(FiscalMode, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=FiscalMode.EXEMPT,
    )
    #: The fiscal printer (fiscal/device.py) in fiscal-printer mode; LUKLUK_FISCAL_PRINTER overrides it.
    fiscal_printer: Mapped[str] = mapped_column(String(220), default="", server_default="")
    receipt_footer: Mapped[str] = mapped_column(String(500), default="")
    #: Discounts above this percentage of what they reduce need a manager's PIN.
    discount_limit_percent: Mapped[int] = mapped_column(default=20)
    #: The receipt printer (printing/devices.py); empty means preview. LUKLUK_PRINTER overrides it.
    printer: Mapped[str] = mapped_column(String(200), default="")
    #: A profile from python-escpos' capabilities database: it decides code pages and columns.
    printer_profile: Mapped[str] = mapped_column(String(40), default="TM-T20II")
    paper_mm: Mapped[int] = mapped_column(default=80)
    #: Send FS . first (cheap clones that start in Chinese mode).
    printer_fs_dot: Mapped[bool] = mapped_column(default=False)
    #: The intake weeks' tag colours, in turn, comma-separated (week 1 of the year takes the first).
    tag_colours: Mapped[str] = mapped_column(String(200), default="niebieski,żółty,zielony,różowy,pomarańczowy",
                                             server_default="niebieski,żółty,zielony,różowy,pomarańczowy")
    #: A count may differ from the expected cash by this much (grosze) without a manager's sign-off.
    cash_tolerance_minor: Mapped[int] = mapped_column(default=500, server_default="500")
    #: How CSV exports are written: ``pl`` (``;`` and decimal comma) or ``en`` (``,`` and decimal point).
    csv_dialect: Mapped[str] = mapped_column(String(4), default="pl", server_default="pl")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Counter(db.Model):
    """A gapless sequence (receipt numbers, item codes): incremented inside the writing transaction.

    The row update takes the row lock (PostgreSQL) or runs under the immediate write lock (SQLite),
    so two tills never get the same number, and a rolled-back sale gives its number back.
    """

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


def next_value(name: str, count: int = 1) -> int:
    """Take the next ``count`` numbers of a counter; returns the first of them. The UPDATE runs as SQL on
    the session's connection, in its transaction: no ORM object is involved, and the ORM's bulk-update
    path took twice as long (0.34–0.46 ms against 0.18–0.20 ms)."""
    table = Counter.__table__
    result = db.session.connection().execute(
        update(table).where(table.c.name == name).values(value=table.c.value + count).returning(table.c.value)
    ).scalar_one_or_none()
    if result is None:
        # A counter's first use (a new invoice series or year): two transactions may both find no row, so
        # the row is made in a savepoint and, if the other made it first, the update simply runs again.
        try:
            with db.session.begin_nested():
                db.session.add(Counter(name=name, value=0))
        except IntegrityError:
            pass
        result = db.session.execute(
            update(Counter).where(Counter.name == name).values(value=Counter.value + count).returning(Counter.value)
        ).scalar_one()
    return result - count + 1


class AuditEvent(db.Model):
    """Who did what sensitive thing, when, to which record, and why. Never updated or deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    #: Dotted action name, e.g. ``sale.void``, ``auth.pin_failed``.
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class Till(db.Model):
    """A counter (PC or tablet) that keeps one basket open at a time. On the ground floor: a volunteer signs
    in at one (``auth``) before any sale exists, and the till's baskets, the drawer's sessions and the
    fiscal device all name it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
