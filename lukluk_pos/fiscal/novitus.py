"""Novitus online fiscal printers through NoviAPI, the printer's own REST API, with ``novitus-noviapi``.

NoviAPI takes a whole document as JSON. Every command is two-step: ``POST`` stores it on the device
(``STORED``, with the device's request id) and only ``PUT`` with that id lets the device carry it out;
``GET`` on the id says ``QUEUED``/``PENDING``/``DONE`` (with the document's ``jpkid``, its number in
the protected memory) or ``ERROR`` (with the device's code and description), and the device's own
state beside it (``OK``, or ``ERROR`` with the reason: paper, cover …). Reading the device is a
command too: ``status`` (fiscal memory: daily reports; protected memory: the last document number;
device: model, VAT table, totals since the daily report).

What the service needs of this driver is what it needs of any: counters that move by one per receipt
(daily reports, last document number), an open receipt it can cancel (requests queued on the device and
not carried out: ``DELETE /queue`` then wait until nothing is left), and the whole receipt sent once.
A lost answer after ``PUT`` is reported as possibly delivered, so the counters decide.

The device hands out few tokens an hour and honours one at a time, so the token lives in a file in the
instance folder and every request and process of the till shares it (``FileTokenStore``).
"""
from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
from flask_babel import lazy_gettext as _l
from noviapi import FileTokenStore, NoviApiClient
from noviapi.exceptions import (
    NoviApiError,
    NoviApiResponseError,
    NoviApiTransportError,
    ValidationErrorResponse,
)
from noviapi.models import (
    Article,
    CashPayment,
    DailyReport,
    DeviceControl,
    Discount,
    Item,
    NamedPayment,
    ReceiptBuyer,
    Summary,
    SystemInfo,
    SystemNumber,
)
from noviapi.models import Payment as NoviPayment
from noviapi.models import Receipt as NoviReceipt

from .device import SLOTS, Counters, DailyTotals, DeviceSpec, DeviceUnreachable, FiscalError, Receipt, Status, rate_code

#: What NoviAPI's ``exception.code`` means, where a person can act on it.
EXCEPTIONS = {
    2: _l("The fiscal printer gives out no more access tokens this hour: wait, or unlock token downloads in the "
          "printer's service menu."),
    6: _l("The fiscal printer is being used from another program."),
    11: _l("The fiscal printer needs its daily report before it can sell."),
    14: _l("The fiscal printer's protected memory is full: call the printer's service technician."),
}

#: The device's own reasons (its descriptions, in Polish) recognised by a word, in the words the till uses
#: for every printer; any other reason is shown as the device wrote it.
REASONS = (
    ("papier", _l("Out of paper: put in a new roll.")),
    ("pokryw", _l("The printer's cover is open: close it.")),
    ("zablokowan", _l("VAT rate error: this name of goods was sold at another rate and is locked.")),
    ("ptu", _l("VAT rate error: the rate is not programmed in the fiscal printer.")),
    ("data raportu", _l("The fiscal printer refused the daily report's date: its clock shows another day. Check the "
                        "date on the printer's display; if it is wrong, call the printer's service technician.")),
    ("raport dobowy", _l("The fiscal printer needs its daily report before it can sell.")),
)

#: How often the request is asked about while the device prints (NoviAPI long-polls up to this).
POLL_MS = 500


def money(minor: int) -> Decimal:
    return Decimal(minor).scaleb(-2)


def minor(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def slot_rate(value: str | None) -> str | None:
    """A NoviAPI tax rate's value as our VAT code: "23.00" → "23", "ZW" → "zw", anything else inactive."""
    text = (value or "").strip().upper()
    if text.startswith("ZW") or text.startswith("SP"):
        return "zw"
    try:
        return rate_code(text.rstrip("%"))
    except ValueError:
        return None


def reason(code: int | None, description: str | None):
    """The device's reason in plain words: ours where we recognise it, else the device's own text."""
    text = (description or "").strip()
    lowered = text.lower()
    for word, message in REASONS:
        if word in lowered:
            return message
    if text:
        return _l("The fiscal printer says: %(reason)s", reason=text[:120])
    return _l("Fiscal printer error %(code)s.", code=code)


class NovitusPrinter:
    """A Novitus printer with NoviAPI switched on, at ``novitus:http://HOST:8888``."""

    def __init__(self, spec: DeviceSpec, *, io_timeout: float = 10.0, token_folder: Path | None = None,
                 deadline: float | None = None):
        self.spec = spec
        self.io_timeout = io_timeout
        #: ``time.monotonic()`` past which no further call is made (each call waits at most ``io_timeout``).
        self.deadline = deadline if deadline is not None else time.monotonic() + 6 * io_timeout
        store = FileTokenStore(spec.target, directory=token_folder) if token_folder is not None else None
        try:
            self.client = NoviApiClient(spec.target, timeout=io_timeout, token_store=store)
        except ValueError as exc:
            raise DeviceUnreachable(str(exc)) from exc

    def close(self) -> None:
        self.client.close()

    # --- the wire -------------------------------------------------------------------------------

    def _call(self, fn, *args, delivered: bool = False, **kwargs):
        """One NoviAPI call; its failures as FiscalError (``delivered``: the device may have done it)."""
        if time.monotonic() >= self.deadline:
            error = DeviceUnreachable("the conversation's deadline passed")
            error.delivered = delivered
            raise error
        try:
            return fn(*args, **kwargs)
        except (NoviApiTransportError, httpx.HTTPError) as exc:  # the library lets the token fetch's own through
            error = DeviceUnreachable(str(exc))
            error.delivered = delivered
            raise error from exc
        except NoviApiResponseError as exc:
            code = exc.detail.exception.code if exc.detail is not None else None
            if isinstance(exc, ValidationErrorResponse):
                errors = "; ".join((exc.detail.exception.errors or [])[:3]) if exc.detail else ""
                message = _l("The fiscal printer refused the receipt: %(reason)s", reason=(errors or str(exc))[:160])
            else:
                message = EXCEPTIONS.get(code) or reason(code, str(exc))
            raise FiscalError(message, code=code, delivered=delivered) from exc
        except NoviApiError as exc:  # the token store's lock and the like
            raise DeviceUnreachable(str(exc)) from exc

    def _run(self, kind: str, document, *, printing: bool = False):
        """Store a command, confirm it, and wait until the device has carried it out; returns the device's
        last answer about it (the request, and the device's own state).

        ``printing``: once confirmed, a lost answer, a timeout or a stopped device may still end in a
        printed document, so those failures say ``delivered`` and the counters decide.
        """
        send, confirm, check = (getattr(self.client, f"{kind}_{step}") for step in ("send", "confirm", "check"))
        created = self._call(send, document)
        request_id = created.request.id
        self._call(confirm, request_id, delivered=printing)
        deadline = min(time.monotonic() + self.io_timeout, self.deadline)
        while True:
            answer = self._call(check, request_id, timeout=POLL_MS, delivered=printing)
            request, device = answer.request, answer.device
            if request.status == "DONE":
                return answer
            if request.status == "ERROR":
                error = request.error or device.error
                raise FiscalError(reason(error.code if error else None, error.description if error else None),
                                  code=error.code if error else None)
            if device.status == "ERROR" and device.error is not None:
                # Stopped mid-document (paper, cover): the request waits on the device; it is not refused.
                raise FiscalError(reason(device.error.code, device.error.description), code=device.error.code,
                                  delivered=printing)
            if time.monotonic() >= deadline:
                error = DeviceUnreachable("request %s still %s" % (request_id, request.status))
                error.delivered = printing
                raise error
            time.sleep(0.05)

    def _status(self, kind: str, *, with_device: bool = False):
        answer = self._run("status", {"type": kind})
        request = answer.request
        payload = request.response.status if request.response is not None else None
        part = getattr(payload, kind, None) if payload is not None else None
        if part is None:
            raise FiscalError(_l("The fiscal printer gave no answer about its %(part)s.", part=kind))
        return (part, answer.device) if with_device else part

    # --- the interface --------------------------------------------------------------------------

    def status(self) -> Status:
        details, device = self._status("device", with_device=True)
        model = f"{details.name} {details.version}".strip()
        if device.status == "ERROR" and device.error is not None:
            return Status(ready=False, problem=str(reason(device.error.code, device.error.description)), model=model)
        return Status(ready=True, model=model)

    def counters(self) -> Counters:
        memory = self._status("fiscal_memory")
        protected = self._status("protected_memory")
        queue = self._call(self.client.queue_check)
        last = str(protected.last_jpkid or "0").strip()
        return Counters(daily_reports=memory.daily_reports_count, last_receipt=int(last) if last.isdigit() else 0,
                        transaction_open=queue.requests_in_queue > 0)

    def clock(self):
        """No clock of its own to read: None."""
        return None

    def clock_date(self) -> date | None:
        """NoviAPI's status has no clock: None (the service sends the computer's date, which the device checks
        against its own and refuses when they differ)."""
        return None

    def vat_table(self) -> dict[str, str | None]:
        rates = {rate.name.upper(): slot_rate(rate.value) for rate in self._status("device").tax_rates}
        return {slot: rates.get(slot) for slot in SLOTS}

    def send_receipt(self, receipt: Receipt) -> int:
        request = self._run("receipt", novi_receipt(receipt), printing=True).request
        if request.jpkid is not None:
            return request.jpkid
        return self.counters().last_receipt

    def cancel_open(self) -> None:
        """Take back what waits in the device's queue, then wait until it has nothing left in hand."""
        self._call(self.client.queue_clear)
        deadline = time.monotonic() + self.io_timeout
        while self._call(self.client.queue_check).requests_in_queue:
            if time.monotonic() >= deadline:
                raise FiscalError(_l("The fiscal printer is still busy with an earlier document: try again in a "
                                     "moment."), delivered=True)
            time.sleep(0.1)

    def totals(self) -> DailyTotals:
        details = self._status("device")
        memory = self._status("fiscal_memory")
        by_slot = {}
        for item in details.totals:
            amount = minor(item.receipt) + minor(item.invoice)
            if amount:
                by_slot[item.tax_rate.upper()] = amount
        # NoviAPI's status gives no count of receipts since the report: None, never a guess.
        return DailyTotals(number=memory.daily_reports_count + 1, by_slot=by_slot, receipts=None)

    def daily_report(self, day: date | None = None) -> DailyTotals:
        if day is None:  # NoviAPI wants the date the device is to confirm; the till always knows its day
            raise FiscalError(_l("The daily report needs the day it closes."))
        before = self.totals()
        self._run("daily_report", DailyReport(date=day.strftime("%d-%m-%Y")), printing=True)
        return before

    def open_drawer(self) -> None:
        """The drawer opens with the receipt itself (``device_control.open_drawer``): nothing to do here."""


def novi_receipt(receipt: Receipt) -> NoviReceipt:
    """Our receipt as NoviAPI's: lines at their gross with the discount beside, payments, change, NIP."""
    items = []
    for line in receipt.lines:
        article = Article(name=line.name, ptu=line.slot, quantity=Decimal(line.quantity),
                          price=money(line.unit_price_minor), value=money(line.gross_minor),
                          description=line.description or None)
        if line.discount_minor:
            article.discount_markup = Discount(type="value_discount", name="Rabat", value=money(line.discount_minor))
        items.append(Item(article=article))
    payments = []
    for payment in receipt.payments:
        if payment.kind == "cash":
            payments.append(NoviPayment(cash=CashPayment(value=money(payment.amount_minor))))
        else:
            payments.append(NoviPayment(card=NamedPayment(name="Karta", value=money(payment.amount_minor))))
    paid = sum(payment.amount_minor for payment in receipt.payments)
    info = dict(receipt.info)
    system = SystemInfo(cashier_name=(info.get("Kasjer") or None) and info["Kasjer"][:32],
                        cash_number=(info.get("Kasa") or None) and info["Kasa"][:8],
                        system_number=SystemNumber(print_as="text", value=f"Nr sprzedaży: {info['Nr sprzedaży']}")
                        if info.get("Nr sprzedaży") else None)
    cash = any(payment.kind == "cash" for payment in receipt.payments)
    return NoviReceipt(items=items, payments=payments,
                       summary=Summary(total=money(receipt.total_minor), pay_in=money(paid),
                                       change=money(receipt.change_minor) if receipt.change_minor else None),
                       buyer=ReceiptBuyer(nip=receipt.nip) if receipt.nip else None, system_info=system,
                       device_control=DeviceControl(open_drawer=cash))
