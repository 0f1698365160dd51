"""Every sale registered on the fiscal printer exactly once, whatever fails.

The rule: a state row is written before the device is called, and after any failure the device's
counters decide what happened — never a blind resend.

1. ``sell`` (at the till) takes the device (one thread at a time per device), settles any earlier
   sale left in flight on it, reads the counters and commits the sale, its registration and those
   counters ("in flight") in one durable write; only then is the receipt sent. No database
   transaction is open while the device prints. ``register`` does the same for a sale already
   waiting (the till's "Spróbuj ponownie", the manager's list).
2. A refusal or an unreachable device before that commit still commits the sale, "to register".
3. An answer means registered. No answer (dropped connection, timeout, a crash or power cut of the
   server) leaves the registration in flight; the next look at it (``settle``) reads the counters
   again: one receipt more than remembered → it is this sale's; the same → it never came out (an
   unfinished receipt on the device is cancelled first) and it may be sent again; anything else → a
   person checks the paper roll (``uncertain``).

Sales not yet registered are listed for the manager and block the day close until registered or
voided with a reason (audited).
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..core import audit, validation
from ..core.errors import DomainError, InvalidInput, NotFound
from ..core.models import FiscalMode, Shop, utcnow
from ..extensions import db
from ..till.models import PaymentMethod, Sale, SaleKind, SaleStatus
from . import device as devices
from .device import SLOTS, FiscalDevice, FiscalError, Line, Payment, Receipt
from .emulator import FILE_NAME, EmulatedPrinter
from .models import FiscalRegisterEntry, FiscalRegistration, RegisterKind, RegistrationStatus, transition
from .names import DESCRIPTION_MAX, clean, fiscal_name

log = logging.getLogger(__name__)

#: How long a request waits for another till's receipt to finish on the same device.
DEVICE_WAIT_SECONDS = 60


class FiscalUnavailable(FiscalError):
    """No device is set, or another till holds it too long."""


class RatesMismatch(FiscalError):
    def __init__(self, codes: str):
        super().__init__(_l("The fiscal printer has no rate for VAT %(codes)s: an admin must check its VAT table "
                            "before fiscal sales can go on.", codes=codes))


# --- the device in force ------------------------------------------------------------------------

def shop() -> Shop | None:
    return db.session.scalar(select(Shop).limit(1))


def printer_mode(current: Shop | None = None) -> bool:
    current = current or shop()
    return current is not None and current.fiscal_mode is FiscalMode.PRINTER


def spec(current: Shop | None = None) -> devices.DeviceSpec:
    """The device setting in force: LUKLUK_FISCAL_PRINTER if the machine sets it, else the admin's."""
    env = current_app.config.get("FISCAL_PRINTER")
    current = current if current is not None else shop()
    text = env or (current.fiscal_printer if current else "")
    try:
        return devices.parse(text)
    except ValueError:
        log.error("Fiscal printer setting %r is not valid", text)
        return devices.DeviceSpec("none")


def open_device(which: devices.DeviceSpec) -> FiscalDevice:
    if which.kind == "emulator":
        return EmulatedPrinter(Path(current_app.instance_path) / FILE_NAME)
    if which.kind in ("posnet", "posnet-serial"):
        from .posnet import PosnetPrinter

        return PosnetPrinter(which, io_timeout=current_app.config.get("FISCAL_TIMEOUT", 10.0))
    if which.kind == "novitus":
        from .novitus import NovitusPrinter

        return NovitusPrinter(which, io_timeout=current_app.config.get("FISCAL_TIMEOUT", 10.0),
                              token_folder=Path(current_app.instance_path) / "noviapi")
    raise FiscalUnavailable(_l("No fiscal printer is set: an admin sets it under Settings → Fiscal printer."))


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@contextmanager
def _device_turn(key: str):
    """One conversation with a device at a time (two tills must not interleave two receipts)."""
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    if not lock.acquire(timeout=DEVICE_WAIT_SECONDS):
        raise FiscalUnavailable(_l("The fiscal printer is busy with another receipt: try again in a moment."))
    try:
        yield
    finally:
        lock.release()


# --- rates and receipts -------------------------------------------------------------------------

def rate_slots(dev: FiscalDevice, codes: set[str]) -> dict[str, str]:
    """Our VAT codes → the device's rate slots, matched by the programmed rate (never by letter)."""
    table = dev.vat_table()
    by_code: dict[str, str] = {}
    for slot in SLOTS:
        code = table.get(slot)
        if code is not None:
            by_code.setdefault(code, slot)
    missing = sorted(code for code in codes if code not in by_code)
    if missing:
        raise RatesMismatch(codes=", ".join("zw" if c == "zw" else f"{c} %" for c in missing))
    return by_code


def receipt_for(sale: Sale, slots: dict[str, str]) -> Receipt:
    """The fiscal receipt of a completed sale: its lines at the amounts paid, payments, NIP, info lines."""
    lines = []
    for line in sale.lines:
        name = fiscal_name(line.category)
        lines.append(Line(name=name, slot=slots[line.vat_code], unit_price_minor=line.unit_price_minor,
                          quantity=line.quantity, total_minor=line.total_minor,
                          description=clean(line.description, DESCRIPTION_MAX)))
    payments, change = [], 0
    for payment in sale.payments:
        if payment.method is PaymentMethod.CASH:
            payments.append(Payment("cash", payment.tendered_minor or payment.amount_minor))
            change += payment.change_minor
        else:
            payments.append(Payment("card", payment.amount_minor))
    info = (("Kasa", clean(sale.till.name, 30)), ("Kasjer", clean(sale.cashier.name if sale.cashier else "", 30)),
            ("Nr sprzedaży", str(sale.number)))
    return Receipt(lines=tuple(lines), payments=tuple(payments), change_minor=change,
                   nip=sale.buyer_nip or None, info=info)


# --- registration -------------------------------------------------------------------------------

def registration_of(sale_id: int) -> FiscalRegistration | None:
    return db.session.scalar(select(FiscalRegistration).where(FiscalRegistration.sale_id == sale_id))


def _counters_show(row: FiscalRegistration, counters: devices.Counters) -> RegistrationStatus:
    """What the device's counters say about a registration in flight."""
    reports, last = row.in_flight
    if counters.daily_reports == reports and counters.last_receipt == last:
        return RegistrationStatus.PENDING  # nothing came out
    if counters.daily_reports == reports and counters.last_receipt == last + 1:
        return RegistrationStatus.REGISTERED
    return RegistrationStatus.UNCERTAIN


def _counters(dev: FiscalDevice) -> devices.Counters:
    """The device's counters with no receipt left open: an unfinished receipt is not a registration, so it
    is cancelled first."""
    counters = dev.counters()
    if counters.transaction_open:
        dev.cancel_open()
        counters = dev.counters()
    return counters


def _settle_in_flight(dev: FiscalDevice, device_key: str) -> None:
    """Decide every registration left in flight on this device (at most one, by construction); the caller
    commits."""
    rows = list(db.session.scalars(select(FiscalRegistration).where(
        FiscalRegistration.device == device_key, FiscalRegistration.in_flight.is_not(None),
        FiscalRegistration.status == RegistrationStatus.PENDING)))
    if not rows:
        return
    counters = _counters(dev)
    for row in rows:
        verdict = _counters_show(row, counters)
        if verdict is RegistrationStatus.REGISTERED:
            _registered(row, counters.last_receipt, counters.daily_reports, how="counters")
        elif verdict is RegistrationStatus.UNCERTAIN:
            transition(row, RegistrationStatus.UNCERTAIN)
            row.last_error = str(_l("The fiscal printer's counters moved by more than this receipt: check the "
                                    "paper roll and settle it by hand."))
            audit.record("fiscal.uncertain", user_id=None, obj=row.sale, remembered=row.in_flight, found=counters.mark)
        row.in_flight = None


def _registered(row: FiscalRegistration, number: int, reports: int, *, how: str) -> None:
    transition(row, RegistrationStatus.REGISTERED)
    row.receipt_number, row.daily_reports, row.registered_at = number, reports, utcnow()
    row.in_flight, row.last_error = None, ""
    if how == "counters":  # a lost answer settled by the device's counters is kept (by hand: the caller audits)
        audit.record("fiscal.registered", user_id=None, obj=row.sale, number=number, how=how)


def sell(sale: Sale) -> FiscalRegistration | None:
    """Fiscal-printer mode, at the till: register a just-completed sale. The sale, its registration and
    the device's counters are committed together (one durable write), then the receipt is sent.

    Returns None outside fiscal-printer mode; raises FiscalError (the sale stays "to register", saved)
    when the device refused or did not answer.
    """
    current = shop()
    if not printer_mode(current) or sale.kind is not SaleKind.SALE:
        return None
    row = registration_of(sale.id)
    if row is not None:  # a repeated completion: the till asks again through register()
        return row
    row = FiscalRegistration(sale_id=sale.id, device=str(spec(current)))
    db.session.add(row)
    db.session.flush()
    return _send(row)


def register(sale_id: int) -> FiscalRegistration:
    """Print a waiting sale's fiscal receipt (or learn that it was printed); commits as it goes.

    Raises FiscalError with the device's reason in plain words when the receipt did not come out; the
    registration stays "to register" and the till offers to try again.
    """
    row = registration_of(sale_id)
    if row is None:
        raise NotFound(_l("This sale is not waiting for a fiscal receipt."))
    if row.status is not RegistrationStatus.PENDING:
        return row
    return _send(row)


def _send(row: FiscalRegistration) -> FiscalRegistration:
    try:
        dev = open_device(devices.parse(row.device))
    except FiscalError as exc:
        _failed(row, exc)
        raise
    with _device_turn(row.device):
        try:
            _settle_in_flight(dev, row.device)
            if row.status is not RegistrationStatus.PENDING:
                db.session.commit()
                return row
            sale = row.sale
            slots = rate_slots(dev, {line.vat_code for line in sale.lines})
            receipt = receipt_for(sale, slots)
            counters = _counters(dev)
            # The mark is committed before a single byte of the receipt is sent.
            row.in_flight, row.attempts = counters.mark, row.attempts + 1
            db.session.commit()
            number = dev.send_receipt(receipt)
        except FiscalError as exc:
            _failed(row, exc)
            raise
        finally:
            dev.close()
        _registered(row, number, counters.daily_reports, how="answer")
        db.session.commit()
    _open_drawer_after(dev, row)
    return row


def _failed(row: FiscalRegistration, exc: FiscalError) -> None:
    """Keep what the session holds (the sale, what the counters settled) and the device's reason."""
    row.last_error = exc.describe()[:300]
    audit.record("fiscal.failed", user_id=row.sale.cashier_id, obj=row.sale, error=row.last_error, code=exc.code,
                 delivered=exc.delivered)
    db.session.commit()


def _open_drawer_after(dev: FiscalDevice, row: FiscalRegistration) -> None:
    """Cash changed hands: the drawer on the fiscal printer's kick port opens (never undoes the sale)."""
    if any(p.method is PaymentMethod.CASH for p in row.sale.payments):
        try:
            dev.open_drawer()
        except FiscalError as exc:
            log.warning("Drawer did not open after sale %s: %s", row.sale_id, exc)
        finally:
            dev.close()


def waiting(day: date | None = None) -> list[FiscalRegistration]:
    """Sales paid for whose fiscal receipt is not settled (to register or uncertain), oldest first."""
    query = (select(FiscalRegistration).join(Sale, Sale.id == FiscalRegistration.sale_id)
             .where(FiscalRegistration.status.in_([RegistrationStatus.PENDING, RegistrationStatus.UNCERTAIN]))
             .order_by(FiscalRegistration.id))
    if day is not None:
        query = query.where(Sale.business_date <= day)
    return list(db.session.scalars(query))


def settle_by_hand(sale_id: int, user, *, printed: bool, number=None, reason) -> FiscalRegistration:
    """A manager settles an uncertain or stuck registration from the paper roll: printed (with its
    number) or not printed (it goes back to "to register")."""
    row = registration_of(sale_id)
    if row is None or row.status not in (RegistrationStatus.UNCERTAIN, RegistrationStatus.PENDING):
        raise NotFound(_l("This sale is not waiting for a fiscal receipt."))
    reason = validation.text(reason, field="reason", max_len=300)
    if printed:
        _registered(row, _number(number), row.daily_reports or 0, how="by_hand")
    else:
        if row.status is RegistrationStatus.UNCERTAIN:
            transition(row, RegistrationStatus.PENDING)
        row.in_flight = None
    audit.record("fiscal.settled_by_hand", user_id=user.id, obj=row.sale, reason=reason, printed=printed,
                 number=row.receipt_number)
    db.session.flush()
    return row


def _number(raw) -> int:
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 10**9:
        raise InvalidInput(_l("Type the receipt number printed on the paper roll."), field="number")
    return int(text)


def void(sale_id: int, user, *, reason) -> FiscalRegistration:
    """A manager decides a sale will not be registered (the customer left, the goods stayed), with a reason."""
    row = registration_of(sale_id)
    if row is None or row.status not in (RegistrationStatus.PENDING, RegistrationStatus.UNCERTAIN):
        raise NotFound(_l("This sale is not waiting for a fiscal receipt."))
    if row.in_flight is not None:
        raise DomainError(_l("The fiscal printer may be printing this receipt: try again or check it first."))
    reason = validation.text(reason, field="reason", max_len=300)
    transition(row, RegistrationStatus.VOIDED)
    row.voided_by_id, row.void_reason = user.id, reason
    audit.record("fiscal.void", user_id=user.id, obj=row.sale, reason=reason)
    db.session.flush()
    return row


def status_of(sale: Sale) -> dict | None:
    """What the till shows about a sale's fiscal receipt."""
    row = registration_of(sale.id) if sale.kind is SaleKind.SALE and sale.status is SaleStatus.COMPLETED else None
    if row is None:
        return None
    return {"status": row.status.value, "receipt_number": row.receipt_number, "message": row.last_error or None}


def device_report() -> dict:
    """What the device says about itself (never prints): state, programmed VAT table, counters, the totals
    since its last daily report, and which of the shop's VAT codes it cannot register."""
    from ..catalog.models import Category

    which = spec()
    out: dict = {"spec": str(which), "from_environment": bool(current_app.config.get("FISCAL_PRINTER"))}
    if which.kind == "none":
        return out
    used = set(db.session.scalars(select(Category.vat_code).where(Category.active).distinct()))
    dev = open_device(which)
    try:
        out["status"] = dev.status()
        out["vat_table"] = dev.vat_table()
        out["counters"] = dev.counters()
        out["totals"] = dev.totals()
        available = {code for code in out["vat_table"].values() if code is not None}
        out["missing_codes"] = sorted(used - available)
    except FiscalError as exc:
        out["error"] = exc.describe()
    finally:
        dev.close()
    return out


def daily_report(day: date) -> dict:
    """Print the device's daily fiscal report at the day close and read back what it holds: gross per VAT
    code and the number of receipts, for the Z report to set beside the system's own figures.

    The totals are read before the report (the report zeroes them). If the report's answer is lost,
    the device's daily-report counter tells whether it printed; it is never printed twice.
    """
    which = spec()
    dev = open_device(which)
    with _device_turn(str(which)):
        try:
            table = dev.vat_table()
            before = _counters(dev)
            totals = dev.totals()
            try:
                dev.daily_report(day)
            except FiscalError as exc:
                if not exc.delivered or dev.counters().daily_reports != before.daily_reports + 1:
                    raise
        finally:
            dev.close()
    by_vat: dict[str, int] = {}
    for slot, amount in totals.by_slot.items():
        code = table.get(slot) or slot
        by_vat[code] = by_vat.get(code, 0) + amount
    audit.record("fiscal.daily_report", user_id=None, day=day.isoformat(), number=before.daily_reports + 1,
                 receipts=totals.receipts)
    return {"source": "device", "device": str(which), "number": before.daily_reports + 1,
            "by_vat": dict(sorted(by_vat.items())), "receipts": totals.receipts}


# --- the returns and corrections registers ------------------------------------------------------

def record_refund(doc: Sale, *, kind=None, buyer_name=None) -> FiscalRegisterEntry | None:
    """In fiscal-printer mode a refund is no fiscal receipt: it is written into the returns register
    (the customer brought goods back; the buyer confirms with their name) or, for an obvious mistake
    at the till, into the corrections register (the manager's approval is the refund's own)."""
    if not printer_mode():
        return None
    try:
        kind = RegisterKind(kind or RegisterKind.RETURN.value)
    except ValueError:
        raise InvalidInput(_l("Choose a return or a correction."), field="fiscal_register") from None
    buyer_name = validation.text(buyer_name or "", field="buyer_name", max_len=120,
                                 required=kind is RegisterKind.RETURN)
    original = doc.refund_of
    registration = registration_of(original.id)
    from ..cash.service import local_date

    entry = FiscalRegisterEntry(
        kind=kind, refund_id=doc.id, original_sale_id=original.id,
        receipt_number=registration.receipt_number if registration else None,
        receipt_date=local_date(original.completed_at), buyer_name=buyer_name, reason=doc.refund_reason,
        user_id=doc.cashier_id, approved_by_id=doc.approved_by_id, business_date=doc.business_date)
    db.session.add(entry)
    db.session.flush()
    return entry


def register_entries(start: date, end: date, kind: RegisterKind) -> list[FiscalRegisterEntry]:
    return list(db.session.scalars(select(FiscalRegisterEntry).where(
        FiscalRegisterEntry.kind == kind, FiscalRegisterEntry.business_date >= start,
        FiscalRegisterEntry.business_date <= end).order_by(FiscalRegisterEntry.id)))


def register_table(entries: list[FiscalRegisterEntry], kind: RegisterKind):
    """The register as a table for the page and the accountant's CSV/XLSX."""
    from ..reports.exports import Money, Table

    methods = {"cash": _l("cash"), "card": _l("card")}
    title = _l("Returns register") if kind is RegisterKind.RETURN else _l("Corrections register")
    headers = [_l("No."), _l("Date"), _l("Fiscal receipt no."), _l("Receipt date"), _l("Goods"), _l("Amount"),
               _l("Paid back"), _l("Buyer") if kind is RegisterKind.RETURN else _l("Approved by"), _l("Reason")]
    table = Table(title=str(title), headers=[str(h) for h in headers])
    for position, entry in enumerate(entries, start=1):
        refund = entry.refund
        goods = "; ".join(f"{line.description} × {line.quantity}" for line in refund.lines)
        method = refund.payments[0].method.value if refund.payments else ""
        who = entry.buyer_name if kind is RegisterKind.RETURN else (entry.approved_by.name if entry.approved_by else "")
        table.rows.append([position, entry.business_date, entry.receipt_number or "", entry.receipt_date, goods,
                           Money(refund.total_minor), str(methods.get(method, method)), who, entry.reason])
    return table


#: Sales to private persons above which a fiscal device is required (a year's turnover; pro rata in
#: the first year), in grosze.
EXEMPTION_LIMIT_MINOR = 2_000_000


def exemption(today: date) -> dict | None:
    """Exempt mode: this year's turnover to private persons against the 20 000 zł limit (pro rata in a
    first year of selling), with the share used, so the manager sees the limit coming (80 %, 100 %)."""
    current = shop()
    if current is None or current.fiscal_mode is not FiscalMode.EXEMPT:
        return None
    from ..cash import totals

    start = date(today.year, 1, 1)
    # Receipts without the buyer's NIP, less their refunds: closed days as summed at their close.
    private = totals.for_period(start, today).of("buyer").get("private")
    turnover = private.net_minor if private is not None else 0
    ever = db.session.scalar(select(func.min(Sale.business_date)).where(Sale.status == SaleStatus.COMPLETED))
    limit = EXEMPTION_LIMIT_MINOR
    if ever is not None and ever.year == today.year:  # the first year of selling: the limit pro rata
        days_in_year = (date(today.year + 1, 1, 1) - start).days
        limit = EXEMPTION_LIMIT_MINOR * ((date(today.year + 1, 1, 1) - ever).days) // days_in_year
    used = int(turnover) * 100 // limit if limit else 0
    return {"turnover_minor": int(turnover), "limit_minor": limit, "percent": used,
            "level": "over" if used >= 100 else "near" if used >= 80 else "ok", "pro_rata": limit != EXEMPTION_LIMIT_MINOR}
