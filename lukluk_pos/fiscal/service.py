"""Every sale registered on the fiscal printer exactly once, whatever fails and in whatever order.

The rule: a state row is written before the device is called, and after any failure the device's
counters decide what happened — never a blind resend.

1. Every conversation with a device takes the device's turn first (``turn.py``: a lease in the
   device's row, shared by every request and process) and re-reads the registration under it, so a
   retry pressed while another request still prints finds the receipt registered, never sends it again.
   No database transaction stays open while the device works; each write is short and committed.
2. ``sell`` (at the till) commits the sale with its registration ("to register"), takes the turn,
   settles any earlier sale left in flight on the device, reads the counters and commits them as the
   sale's mark ("in flight"); only then is the receipt sent. ``register`` does the same for a sale
   already waiting (the till's "Spróbuj ponownie"/"Sprawdź", the manager's list).
3. A refusal, or a failure before the receipt could have been finished, clears the mark: nothing came
   out. An answer means registered. A lost answer (dropped connection, timeout, a crash or power cut of
   the server) leaves the mark; the next look at it (``settle``) reads the counters again: one receipt
   more than remembered → it is this sale's; the same → it never came out (an unfinished receipt on the
   device is cancelled first) and it may be sent again; anything else → a person checks the paper roll
   (``uncertain``).
4. Every conversation has a deadline (``FISCAL_DEADLINE``): a device that hangs ends in "the fiscal
   printer does not answer" within it, the sale kept "to register".
5. The daily report is marked the same way (``FiscalDailyReport``): its totals are read and committed
   before ``dailyrep`` is sent; after a crash the daily-report counter says whether it printed, and its
   totals are read back from the mark, never printed again.

Sales not yet registered are listed for the manager and block the day close until registered or
voided with a reason (audited).
"""
from __future__ import annotations

import dataclasses
import logging
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from ..catalog.fiscal_names import DESCRIPTION_MAX, clean, fiscal_name
from ..core import audit, validation
from ..core.errors import DomainError, InvalidInput, NotFound
from ..core.models import FiscalMode, Shop, utcnow
from ..extensions import db
from ..till.models import PaymentMethod, Sale, SaleKind, SaleStatus
from . import device as devices
from . import turn
from .device import SLOTS, FiscalDevice, FiscalError, Line, Payment, Receipt
from .emulator import FILE_NAME, EmulatedPrinter
from .models import (
    DailyReportStatus,
    FiscalDailyReport,
    FiscalRegisterEntry,
    FiscalRegistration,
    RegisterKind,
    RegistrationStatus,
    transition,
)

log = logging.getLogger(__name__)

#: How much longer than a conversation's deadline its lease on the device lasts (a holder that died
#: without its process being seen gone is passed over after this).
LEASE_MARGIN_SECONDS = 15


class FiscalUnavailable(FiscalError):
    """No device is set, or another till holds it too long."""


class RatesMismatch(FiscalError):
    def __init__(self, codes: str):
        super().__init__(_l("The fiscal printer has no rate for VAT %(codes)s: an admin must check its VAT table "
                            "before fiscal sales can go on.", codes=codes))


#: What the till says when the device's answer to a receipt was lost (it may have printed).
ANSWER_LOST = _l("The fiscal printer's answer was lost: the receipt may have printed. Press Check: the printer's "
                 "counters decide, nothing is printed twice.")


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


def deadline_seconds() -> float:
    return float(current_app.config.get("FISCAL_DEADLINE", 60.0))


def open_device(which: devices.DeviceSpec, *, deadline: float | None = None) -> FiscalDevice:
    """The driver for a device; ``deadline`` (``time.monotonic()``) bounds its whole conversation."""
    timeout = current_app.config.get("FISCAL_TIMEOUT", 10.0)
    if deadline is None:
        deadline = time.monotonic() + deadline_seconds()
    if which.kind == "emulator":
        return EmulatedPrinter(Path(current_app.instance_path) / FILE_NAME)
    if which.kind in ("posnet", "posnet-serial"):
        from .posnet import PosnetPrinter

        return PosnetPrinter(which, io_timeout=timeout, deadline=deadline)
    if which.kind == "novitus":
        from .novitus import NovitusPrinter

        return NovitusPrinter(which, io_timeout=timeout, deadline=deadline,
                              token_folder=Path(current_app.instance_path) / "noviapi")
    raise FiscalUnavailable(_l("No fiscal printer is set: an admin sets it under Settings → Fiscal printer."))


@contextmanager
def _device_turn(key: str):
    """One conversation with a device at a time, across requests and processes (``turn.py``). What the
    session holds is committed with the turn taken, and what the conversation wrote last with the turn
    given back (after a failure, it is rolled back first); yields the deadline (``time.monotonic()``)."""
    seconds = deadline_seconds()
    me = turn.take(key, wait=seconds, hold=seconds + LEASE_MARGIN_SECONDS)
    if me is None:
        raise FiscalUnavailable(_l("The fiscal printer is busy with another receipt: try again in a moment."))
    try:
        yield time.monotonic() + seconds
    except BaseException:
        turn.give_back(key, me)
        raise
    turn.give_back(key, me, keep=True)


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


def receipt_for(sale: Sale, slots: dict[str, str] | None = None) -> Receipt:
    """The fiscal receipt of a completed sale: its lines at the amounts paid, payments, NIP, info lines.
    Without ``slots`` each line's slot holds its VAT code (``with_slots`` maps them once the device's
    table is read)."""
    lines = []
    for line in sale.lines:
        name = fiscal_name(line.category)
        lines.append(Line(name=name, slot=slots[line.vat_code] if slots else line.vat_code,
                          unit_price_minor=line.unit_price_minor, quantity=line.quantity,
                          total_minor=line.total_minor, description=clean(line.description, DESCRIPTION_MAX)))
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


def with_slots(receipt: Receipt, slots: dict[str, str]) -> Receipt:
    return dataclasses.replace(receipt, lines=tuple(dataclasses.replace(line, slot=slots[line.slot])
                                                    for line in receipt.lines))


# --- registration -------------------------------------------------------------------------------

def registration_of(sale_id: int) -> FiscalRegistration | None:
    return db.session.scalar(select(FiscalRegistration).where(FiscalRegistration.sale_id == sale_id))


def _fresh(sale_id: int) -> FiscalRegistration:
    """The registration as the database holds it now (another request or process may have moved it)."""
    return db.session.scalar(select(FiscalRegistration).where(FiscalRegistration.sale_id == sale_id)
                             .execution_options(populate_existing=True))


#: How many times a write of a registration is tried again when another request moved it meanwhile.
WRITE_ATTEMPTS = 5

#: What the manager sees when a till wrote the same registration at the same moment.
MOVED_MEANWHILE = _l("A till has just changed this sale's fiscal receipt: look at the list again, then decide.")


def _write(sale_id: int, change) -> FiscalRegistration:
    """Let ``change`` decide on the registration as the database holds it now, and commit. A registration
    written by another request or process since it was read (its ``version`` moved) is not overwritten:
    it is read again and ``change`` decides again from what it holds now (a sale the manager voided
    meanwhile is never marked, so never printed)."""
    for _attempt in range(WRITE_ATTEMPTS):
        row = _fresh(sale_id)
        change(row)
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            continue
        return row
    raise FiscalUnavailable(MOVED_MEANWHILE)


def _flush_or_moved() -> None:
    """A manager's decision is written in the request's transaction: one that lost the race to a till's
    write of the same registration is refused in words, nothing written."""
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise DomainError(MOVED_MEANWHILE) from exc


def _counters_show(mark: list[int], counters: devices.Counters) -> RegistrationStatus:
    """What the device's counters say about a registration in flight."""
    reports, last = mark
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
    """Decide every registration left in flight on this device (at most one, by construction) from the
    device's counters; commits. Called holding the device's turn."""
    marks = db.session.execute(select(FiscalRegistration.sale_id).where(
        FiscalRegistration.device == device_key, FiscalRegistration.in_flight_reports.is_not(None),
        FiscalRegistration.status == RegistrationStatus.PENDING).order_by(FiscalRegistration.id)).scalars().all()
    db.session.commit()  # nothing held while the device is asked
    if not marks:
        return
    counters = _counters(dev)

    def decide(row: FiscalRegistration) -> None:
        mark = row.in_flight
        if row.status is not RegistrationStatus.PENDING or mark is None:
            return
        verdict = _counters_show(mark, counters)
        if verdict is RegistrationStatus.REGISTERED:
            _registered(row, counters.last_receipt, counters.daily_reports, how="counters")
        elif verdict is RegistrationStatus.UNCERTAIN:
            transition(row, RegistrationStatus.UNCERTAIN)
            row.last_error = str(_l("The fiscal printer's counters moved by more than this receipt: check the "
                                    "paper roll and settle it by hand."))
            audit.record("fiscal.uncertain", user_id=None, obj=row.sale, remembered=mark, found=counters.mark)
        row.mark(None)
        if verdict is RegistrationStatus.PENDING:
            row.last_error = str(_l("The receipt did not come out: it can be printed again."))

    for sale_id in marks:
        _write(sale_id, decide)


def _registered(row: FiscalRegistration, number: int, reports: int, *, how: str) -> None:
    transition(row, RegistrationStatus.REGISTERED)
    row.receipt_number, row.daily_reports, row.registered_at = number, reports, utcnow()
    row.mark(None)
    row.last_error = ""
    if how == "counters":  # a lost answer settled by the device's counters is kept (by hand: the caller audits)
        audit.record("fiscal.registered", user_id=None, obj=row.sale, number=number, how=how)


def sell(sale: Sale) -> FiscalRegistration | None:
    """Fiscal-printer mode, at the till: register a just-completed sale. The sale and its registration are
    committed together (one durable write), then the device's turn is taken and the receipt sent.

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
    return _send(sale.id)


def register(sale_id: int) -> FiscalRegistration:
    """Print a waiting sale's fiscal receipt (or learn from the counters that it was printed); commits as
    it goes.

    Raises FiscalError with the device's reason in plain words when the receipt did not come out; the
    registration stays "to register" and the till offers to try again.
    """
    row = registration_of(sale_id)
    if row is None:
        raise NotFound(_l("This sale is not waiting for a fiscal receipt."))
    if row.status is not RegistrationStatus.PENDING:
        return row
    return _send(sale_id)


def _send(sale_id: int) -> FiscalRegistration:
    key = _fresh(sale_id).device
    try:
        return _converse(sale_id, key)
    except FiscalUnavailable as exc:  # another till kept the device all the while: nothing was sent
        _failed(sale_id, exc)
        raise


def _converse(sale_id: int, key: str) -> FiscalRegistration:
    with _device_turn(key) as deadline:  # the sale and its registration are committed before the turn
        row = _fresh(sale_id)
        if row.status is not RegistrationStatus.PENDING:
            return row  # another request registered it while this one waited for the device
        dev, marked = None, False
        try:
            dev = open_device(devices.parse(key), deadline=deadline)
            _settle_in_flight(dev, key)
            row = _fresh(sale_id)
            if row.status is not RegistrationStatus.PENDING:
                return row
            draft = receipt_for(row.sale)
            cash = any(p.method is PaymentMethod.CASH for p in row.sale.payments)
            db.session.commit()  # nothing held while the device is asked
            receipt = with_slots(draft, rate_slots(dev, {line.slot for line in draft.lines}))
            counters = _counters(dev)

            def marking(row: FiscalRegistration) -> None:
                if row.status is RegistrationStatus.PENDING:
                    row.mark(counters.mark)
                    row.names = [line.name for line in receipt.lines]
                    row.attempts += 1

            # The mark is committed before a single byte of the receipt is sent, and only on a sale still
            # "to register": the manager may have voided it, or settled it from the roll, while the device
            # was being read.
            row = _write(sale_id, marking)
            if row.status is not RegistrationStatus.PENDING:
                return row
            marked = True
            number = dev.send_receipt(receipt)
        except FiscalUnavailable:
            raise
        except FiscalError as exc:
            _failed(sale_id, exc, ours=marked)
            raise
        finally:
            if dev is not None:
                dev.close()
        if cash:
            _open_drawer(dev, sale_id)

        def answered(row: FiscalRegistration) -> None:
            if row.status in (RegistrationStatus.PENDING, RegistrationStatus.UNCERTAIN):
                _registered(row, number, counters.daily_reports, how="answer")

        row = _write(sale_id, answered)
    return row


def _failed(sale_id: int, exc: FiscalError, *, ours: bool = False) -> None:
    """Keep the device's reason. A failure of this attempt's receipt before it could be finished clears
    the mark this attempt set (nothing came out); a lost answer keeps it for the counters to decide. A mark
    left by an earlier attempt (``ours`` false: the failure came while the counters were being read to
    settle it) is never cleared here: only the counters may say that receipt did not come out."""
    db.session.rollback()

    def keep_reason(row: FiscalRegistration) -> None:
        if exc.delivered and row.in_flight is not None and isinstance(exc, devices.DeviceUnreachable):
            row.last_error = str(ANSWER_LOST)[:300]
        else:
            row.last_error = exc.describe()[:300]
            if ours and row.status is RegistrationStatus.PENDING and not exc.delivered:
                row.mark(None)
        audit.record("fiscal.failed", user_id=row.sale.cashier_id, obj=row.sale, error=row.last_error,
                     code=exc.code, delivered=exc.delivered)

    _write(sale_id, keep_reason)


def _open_drawer(dev: FiscalDevice, sale_id: int) -> None:
    """Cash changed hands: the drawer on the fiscal printer's kick port opens (never undoes the sale)."""
    try:
        dev.open_drawer()
    except FiscalError as exc:
        log.warning("Drawer did not open after sale %s: %s", sale_id, exc)
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


def check(sale_id: int) -> FiscalRegistration:
    """Let the device's counters settle a registration whose answer was lost (holding the device's turn,
    so no receipt is on its way meanwhile); sends nothing."""
    row = _fresh(sale_id)
    key = row.device
    with _device_turn(key) as deadline:
        dev = open_device(devices.parse(key), deadline=deadline)
        try:
            _settle_in_flight(dev, key)
        finally:
            dev.close()
    return _fresh(sale_id)


def settle_by_hand(sale_id: int, user, *, printed: bool, number=None, reason) -> FiscalRegistration:
    """A manager settles an uncertain or stuck registration from the paper roll: printed (with its
    number) or not printed (it goes back to "to register").

    "Not printed" for a receipt whose answer was lost asks the printer's counters first (a receipt may be
    on its way from another till's request, or out on the roll already without the sale's number on it),
    and is refused while the printer cannot be asked."""
    row = registration_of(sale_id)
    if row is None or row.status not in (RegistrationStatus.UNCERTAIN, RegistrationStatus.PENDING):
        raise NotFound(_l("This sale is not waiting for a fiscal receipt."))
    reason = validation.text(reason, field="reason", max_len=300)
    if not printed and row.in_flight is not None:
        try:
            row = check(sale_id)
        except FiscalError as exc:
            # A receipt whose answer was lost may be on the roll without the sale's number on it (the info
            # lines come after the fiscal part): only the counters can say it did not print.
            raise DomainError(_l("The fiscal printer cannot be asked now (%(reason)s), and only its counters can "
                                 "tell whether this receipt printed. When it is back, press Check.",
                                 reason=exc.describe())) from exc
        if row.status is RegistrationStatus.REGISTERED:
            raise DomainError(_l("The fiscal printer's counters show this receipt printed (no. %(number)s): there "
                                 "is nothing to settle.", number=row.receipt_number))
    if printed:
        _registered(row, _number(number), row.daily_reports or 0, how="by_hand")
    else:
        if row.status is RegistrationStatus.UNCERTAIN:
            transition(row, RegistrationStatus.PENDING)
        row.mark(None)
    _flush_or_moved()
    audit.record("fiscal.settled_by_hand", user_id=user.id, obj=row.sale, reason=reason, printed=printed,
                 number=row.receipt_number)
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
        raise DomainError(_l("The fiscal printer may have printed this receipt: press Check first, so its "
                             "counters decide."))
    reason = validation.text(reason, field="reason", max_len=300)
    transition(row, RegistrationStatus.VOIDED)
    row.voided_by_id, row.void_reason = user.id, reason
    _flush_or_moved()
    audit.record("fiscal.void", user_id=user.id, obj=row.sale, reason=reason)
    return row


def status_of(sale: Sale) -> dict | None:
    """What the till shows about a sale's fiscal receipt."""
    row = registration_of(sale.id) if sale.kind is SaleKind.SALE and sale.status is SaleStatus.COMPLETED else None
    if row is None:
        return None
    return {"status": row.status.value, "receipt_number": row.receipt_number, "message": row.last_error or None,
            "check": row.status is RegistrationStatus.PENDING and row.in_flight is not None}


def device_report(*, ask: bool = True) -> dict:
    """What the device says about itself (never prints): state, programmed VAT table, counters, the totals
    since its last daily report, and which of the shop's VAT codes it cannot register. Without ``ask``,
    only the setting in force: the device is not contacted."""
    from ..catalog.models import Category

    which = spec()
    out: dict = {"spec": str(which), "from_environment": bool(current_app.config.get("FISCAL_PRINTER")),
                 "asked": ask}
    if which.kind == "none" or not ask:
        return out
    used = set(db.session.scalars(select(Category.vat_code).where(Category.active).distinct()))
    try:
        with _device_turn(str(which)) as deadline:
            dev = open_device(which, deadline=deadline)
            try:
                out["status"] = dev.status()
                out["vat_table"] = dev.vat_table()
                out["counters"] = dev.counters()
                out["totals"] = dev.totals()
                available = {code for code in out["vat_table"].values() if code is not None}
                out["missing_codes"] = sorted(used - available)
            finally:
                dev.close()
    except FiscalError as exc:
        out["error"] = exc.describe()
    return out


# --- the daily report ---------------------------------------------------------------------------

def _report_figures(mark: FiscalDailyReport) -> dict:
    return {"source": "device", "device": mark.device, "number": mark.number,
            "by_vat": dict(sorted(mark.by_vat.items())), "receipts": mark.receipts}


def _report_mark(key: str, day: date) -> FiscalDailyReport | None:
    return db.session.scalar(select(FiscalDailyReport).where(FiscalDailyReport.device == key,
                                                            FiscalDailyReport.business_date == day)
                             .execution_options(populate_existing=True))


def daily_report(day: date, *, blockers=None) -> dict:
    """Print the device's daily fiscal report at the day close, exactly once, and read back what it holds:
    gross per VAT code and the number of receipts, for the Z report to set beside the system's own figures.

    Holding the device's turn: ``blockers()`` (what keeps the day open) is asked again, so no sale can
    slip in between; the totals are read (the report zeroes them) and committed as the day's mark before
    ``dailyrep`` is sent. A close that died after the report printed finds the mark: the daily-report
    counter one higher means it printed, and its totals are read back from the mark, never printed twice.
    The report goes with the device's own date (a late count after midnight is the next calendar day).
    """
    from ..cash.service import today as shop_today

    which = spec()
    key = str(which)
    with _device_turn(key) as deadline:
        problems = blockers() if blockers is not None else []
        if problems:
            raise DomainError(" ".join(problems))
        mark = _report_mark(key, day)
        if mark is not None and mark.status is DailyReportStatus.PRINTED:
            return _report_figures(mark)
        remembered = mark.reports_before if mark is not None else None
        db.session.commit()  # nothing held while the device is asked
        dev = open_device(which, deadline=deadline)
        try:
            before = _counters(dev)
            printed = remembered is not None and before.daily_reports == remembered + 1
            if remembered is not None and not printed and before.daily_reports != remembered:
                raise FiscalError(_l("The fiscal printer's daily reports moved since this close began: check its "
                                     "last daily report on the paper roll and call the service technician."))
            if not printed:
                table = dev.vat_table()
                totals = dev.totals()
                by_vat: dict[str, int] = {}
                for slot, amount in totals.by_slot.items():
                    code = table.get(slot) or slot
                    by_vat[code] = by_vat.get(code, 0) + amount
                moment = dev.clock()
                on_device = moment.date() if moment is not None else (dev.clock_date() or shop_today())
                if moment is not None:
                    clock_read(moment)
                mark = _report_mark(key, day) or FiscalDailyReport(device=key, business_date=day)
                mark.reports_before, mark.by_vat, mark.receipts = before.daily_reports, by_vat, totals.receipts
                mark.device_date, mark.status = on_device, DailyReportStatus.MARKED
                db.session.add(mark)
                db.session.commit()  # the mark is committed before dailyrep is sent
                try:
                    dev.daily_report(on_device)
                except FiscalError as exc:
                    if not exc.delivered or _counters(dev).daily_reports != before.daily_reports + 1:
                        raise
        finally:
            dev.close()
        mark = _report_mark(key, day)
        mark.status, mark.printed_at = DailyReportStatus.PRINTED, utcnow()
        audit.record("fiscal.daily_report", user_id=None, day=day.isoformat(), number=mark.number,
                     receipts=mark.receipts, recovered=printed)
        db.session.commit()
        return _report_figures(mark)


CLOCK_FILE = "fiscal-clock.json"


def clock_read(moment) -> None:
    """The device's clock as read at the daily report, beside the PC's (the shop's local time), kept for
    ``/health`` and ``flask doctor``: a PC whose clock drifts would date sales other than the device does."""
    import json
    from datetime import datetime

    from ..cash.service import zone

    here = datetime.now(zone()).replace(tzinfo=None)
    record = {"read_at": utcnow().isoformat(timespec="seconds"),
              "difference_seconds": int((moment - here).total_seconds())}
    path = Path(current_app.instance_path) / CLOCK_FILE
    try:
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps(record))
        partial.replace(path)
    except OSError as exc:
        log.warning("Cannot keep the fiscal printer's clock reading: %s", exc)


def clock_difference() -> dict | None:
    """The last reading of the device's clock against the PC's: seconds (device minus PC) and when."""
    import json

    try:
        return json.loads((Path(current_app.instance_path) / CLOCK_FILE).read_text())
    except (OSError, ValueError):
        return None


# --- the returns and corrections registers ------------------------------------------------------

def vat_in(gross_minor: int, code: str) -> int:
    """The VAT contained in a gross amount at our VAT code ("23", "8", "5", "0", "zw"), rounded half up."""
    if not code.isdigit() or int(code) == 0:
        return 0
    rate = int(code)
    sign = -1 if gross_minor < 0 else 1
    return sign * ((abs(gross_minor) * rate * 2 + 100 + rate) // (2 * (100 + rate)))


def refund_allowed(sale_id: int) -> None:
    """In fiscal-printer mode a refund waits for the sale's fiscal receipt: the returns register names that
    receipt (its number and date). Raises a DomainError saying what to do first."""
    if not printer_mode():
        return
    row = registration_of(sale_id)
    if row is not None and row.status in (RegistrationStatus.PENDING, RegistrationStatus.UNCERTAIN):
        raise DomainError(_l("This sale's fiscal receipt has not printed yet: print it first (“Try again” at the "
                             "till, or Sales waiting for a fiscal receipt), then make the refund."))


def register_entry_of(doc: Sale) -> FiscalRegisterEntry | None:
    """The returns or corrections register's entry of a refund, if it has one (fiscal-printer mode)."""
    return db.session.scalar(select(FiscalRegisterEntry).where(FiscalRegisterEntry.refund_id == doc.id))


def record_refund(doc: Sale, *, kind=None, buyer_name=None) -> FiscalRegisterEntry | None:
    """In fiscal-printer mode a refund is no fiscal receipt: it is written into the returns register
    (the customer brought goods back; the buyer confirms with their name) or, for an obvious mistake
    at the till, into the corrections register (the manager's approval is the refund's own).

    What the cash-register regulation lists for a return is copied in now, so the register reads the same
    whatever changes later: the sale's date and fiscal receipt number, the goods as the receipt named them
    with quantity, the amount returned with its VAT rate and tax, the return's date."""
    if not printer_mode():
        return None
    done = register_entry_of(doc)
    if done is not None:  # the same refund asked again (its key repeated): the entry already made
        return done
    try:
        kind = RegisterKind(kind or RegisterKind.RETURN.value)
    except ValueError:
        raise InvalidInput(_l("Choose a return or a correction."), field="fiscal_register") from None
    buyer_name = validation.text(buyer_name or "", field="buyer_name", max_len=120,
                                 required=kind is RegisterKind.RETURN)
    original = doc.refund_of
    refund_allowed(original.id)
    registration = registration_of(original.id)
    from ..cash.service import local_date

    printed = (registration.names or []) if registration is not None else []
    positions = {line.id: index for index, line in enumerate(original.lines)}
    goods = []
    for line in doc.lines:
        index = positions.get(line.refund_of_line_id)
        name = printed[index] if index is not None and index < len(printed) else fiscal_name(line.category)
        goods.append({"name": name, "quantity": line.quantity, "amount_minor": line.total_minor,
                      "vat_code": line.vat_code, "tax_minor": vat_in(line.total_minor, line.vat_code)})
    entry = FiscalRegisterEntry(
        kind=kind, refund_id=doc.id, original_sale_id=original.id,
        receipt_number=registration.receipt_number if registration else None,
        receipt_date=local_date(original.completed_at), buyer_name=buyer_name, reason=doc.refund_reason,
        goods=goods, user_id=doc.cashier_id, approved_by_id=doc.approved_by_id, business_date=doc.business_date)
    db.session.add(entry)
    db.session.flush()
    return entry


def register_entries(start: date, end: date, kind: RegisterKind) -> list[FiscalRegisterEntry]:
    return list(db.session.scalars(select(FiscalRegisterEntry).where(
        FiscalRegisterEntry.kind == kind, FiscalRegisterEntry.business_date >= start,
        FiscalRegisterEntry.business_date <= end).order_by(FiscalRegisterEntry.id)))


def register_table(entries: list[FiscalRegisterEntry], kind: RegisterKind):
    """The register as a table for the page and the accountant's CSV/XLSX."""
    from ..core.tables import Money, Table

    methods = {"cash": _l("cash"), "card": _l("card")}
    title = _l("Returns register") if kind is RegisterKind.RETURN else _l("Corrections register")
    headers = [_l("No."), _l("Return date"), _l("Fiscal receipt no."), _l("Sale date"), _l("Goods (as on the receipt)"),
               _l("Quantity"), _l("Amount"), _l("VAT rate"), _l("VAT"), _l("Paid back"),
               _l("Buyer") if kind is RegisterKind.RETURN else _l("Approved by"), _l("Reason")]
    table = Table(title=str(title), headers=[str(h) for h in headers])
    for position, entry in enumerate(entries, start=1):
        refund = entry.refund
        method = refund.payments[0].method.value if refund.payments else ""
        who = entry.buyer_name if kind is RegisterKind.RETURN else (entry.approved_by.name if entry.approved_by else "")
        for line in register_goods(entry):
            table.rows.append([position, entry.business_date, entry.receipt_number or "", entry.receipt_date,
                               line["name"], line["quantity"], Money(line["amount_minor"]), rate_label(line["vat_code"]),
                               Money(line["tax_minor"]), str(methods.get(method, method)), who, entry.reason])
    return table


def rate_label(code: str) -> str:
    return "zw" if not code.isdigit() else f"{code} %"


def register_goods(entry: FiscalRegisterEntry) -> list[dict]:
    """The entry's goods as copied at the refund; entries made before the copy existed are read from the
    refund's own lines."""
    if entry.goods:
        return entry.goods
    return [{"name": fiscal_name(line.category), "quantity": line.quantity, "amount_minor": line.total_minor,
             "vat_code": line.vat_code, "tax_minor": vat_in(line.total_minor, line.vat_code)}
            for line in entry.refund.lines]


#: Sales to private persons above which a fiscal device is required (a year's turnover; pro rata in
#: the first year), in grosze.
EXEMPTION_LIMIT_MINOR = 2_000_000


def _invoiced_to_businesses(start: date, end: date) -> int:
    """Sales of the period invoiced to a business buyer, less what was refunded of them: asked of the
    invoicing area (``core.events.invoiced_to_businesses``), which knows the invoices."""
    from ..core import events

    return sum(events.answers(events.invoiced_to_businesses, start=start, end=end))


def exemption(today: date) -> dict | None:
    """Exempt mode: this year's turnover to private persons against the 20 000 zł limit (pro rata in a
    first year of selling), with the share used, so the manager sees the limit coming (80 %, 100 %).

    Only a sale documented by an invoice to a business is outside the limit: a NIP typed at the till
    alone does not prove the buyer is one, so every other sale counts (less its refunds)."""
    current = shop()
    if current is None or current.fiscal_mode is not FiscalMode.EXEMPT:
        return None
    from ..cash import totals

    start = date(today.year, 1, 1)
    # All receipts less their refunds (closed days as summed at their close), less the invoiced ones.
    by_buyer = totals.for_period(start, today).of("buyer")
    turnover = sum(int(sums.net_minor) for sums in by_buyer.values()) - _invoiced_to_businesses(start, today)
    ever = db.session.scalar(select(func.min(Sale.business_date)).where(Sale.status == SaleStatus.COMPLETED))
    limit = EXEMPTION_LIMIT_MINOR
    if ever is not None and ever.year == today.year:  # the first year of selling: the limit pro rata
        days_in_year = (date(today.year + 1, 1, 1) - start).days
        limit = EXEMPTION_LIMIT_MINOR * ((date(today.year + 1, 1, 1) - ever).days) // days_in_year
    used = int(turnover) * 100 // limit if limit else 0
    return {"turnover_minor": int(turnover), "limit_minor": limit, "percent": used,
            "level": "over" if used >= 100 else "near" if used >= 80 else "ok", "pro_rata": limit != EXEMPTION_LIMIT_MINOR}
