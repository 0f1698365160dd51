"""The one small interface every fiscal device driver speaks, and the device setting.

A driver sends a whole receipt, reads status and counters, reads its programmed VAT table, prints the
daily report and reads its totals, and opens the drawer. It never decides whether a sale is
registered: the service (``fiscal/service.py``) does that from the counters the driver reads.

``LUKLUK_FISCAL_PRINTER`` (or the admin's setting) is one of ``posnet:HOST[:PORT]`` (TCP, port 6666 by
default), ``posnet-serial:DEVICE[:BAUD]``, ``novitus:URL`` or ``emulator`` (built in, its fiscal memory
in a file in the instance folder).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from flask_babel import lazy_gettext as _l

#: Rate slots of a Polish fiscal device, in the order of the protocol's numbers 0–6.
SLOTS = ("A", "B", "C", "D", "E", "F", "G")
#: How a slot's rate is written in our VAT codes: "23", "8", "5", "0" or "zw" (exempt).
EXEMPT = "zw"


class FiscalError(Exception):
    """The device refused or could not be reached; ``message`` says why in words a volunteer understands.

    ``delivered`` is True when the failure came after the device may already have done the work (the
    answer was lost): the service then asks the device's counters what happened, never resends blindly.
    """

    def __init__(self, message, *, code: int | None = None, delivered: bool = False):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.delivered = delivered

    def describe(self) -> str:
        return str(self.message)


class DeviceUnreachable(FiscalError):
    def __init__(self, detail: str = ""):
        super().__init__(_l("The fiscal printer does not answer: check that it is on and connected."))
        self.detail = detail


@dataclass(frozen=True)
class Line:
    name: str  #: the fiscal name, already cleaned for the device
    slot: str  #: rate slot letter A–G
    unit_price_minor: int
    quantity: int
    #: What the customer pays for the line: unit price × quantity less any discount.
    total_minor: int
    #: The item's own short description, printed under the name (the device binds only the name).
    description: str = ""

    @property
    def gross_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def discount_minor(self) -> int:
        return self.gross_minor - self.total_minor


@dataclass(frozen=True)
class Payment:
    kind: str  #: "cash" or "card"
    amount_minor: int  #: what the customer handed over (cash: with the change)


@dataclass(frozen=True)
class Receipt:
    lines: tuple[Line, ...]
    payments: tuple[Payment, ...]
    change_minor: int = 0
    #: The buyer's NIP printed on the receipt (10 digits) when the customer asked.
    nip: str | None = None
    #: Info lines under the receipt: (label, value), e.g. ("Kasa", "Kasa 1"), ("Nr sprzedaży", "42").
    info: tuple[tuple[str, str], ...] = ()

    @property
    def total_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)

    def by_slot(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.slot] = totals.get(line.slot, 0) + line.total_minor
        return totals


@dataclass(frozen=True)
class Counters:
    #: Daily reports made so far (the device's fiscal memory).
    daily_reports: int
    #: Number of the last fiscal receipt printed.
    last_receipt: int
    #: A receipt was started on the device and neither finished nor cancelled.
    transaction_open: bool = False

    @property
    def mark(self) -> list[int]:
        """What a sale in flight remembers: a later mark means a receipt came out."""
        return [self.daily_reports, self.last_receipt]


@dataclass(frozen=True)
class Status:
    ready: bool
    #: Why it is not ready, in plain words (paper, cover, …), or None.
    problem: str | None = None
    model: str = ""


@dataclass(frozen=True)
class DailyTotals:
    """What a daily fiscal report holds: gross per rate slot and the number of receipts."""

    number: int
    by_slot: dict[str, int] = field(default_factory=dict)
    #: None where the device does not say (NoviAPI's status has no receipt count).
    receipts: int | None = 0


class FiscalDevice(Protocol):
    def status(self) -> Status: ...

    def counters(self) -> Counters: ...

    def clock_date(self):
        """The date on the device's clock, or None where the device does not say (then the shop's date)."""

    def clock(self):
        """The device's clock (its local time, to the minute), or None where the device does not say."""

    def vat_table(self) -> dict[str, str | None]:
        """Slot letter → our VAT code ("23", "8", "zw", …), None for a slot that is not active."""

    def send_receipt(self, receipt: Receipt) -> int:
        """Print the whole receipt; returns its number. Raises FiscalError."""

    def cancel_open(self) -> None:
        """Cancel a receipt left unfinished on the device."""

    def totals(self) -> DailyTotals:
        """The totals since the last daily report (number: the next report's number)."""

    def daily_report(self, day=None) -> DailyTotals:
        """Print the daily report (``day``: the date the device confirms); returns what it holds."""

    def open_drawer(self) -> None: ...

    def close(self) -> None: ...


# --- the setting --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceSpec:
    kind: str  # posnet, posnet-serial, novitus, emulator, none
    target: str = ""
    port: int | None = None  # TCP port or serial baud rate

    def __str__(self) -> str:
        if self.kind in ("emulator", "none"):
            return self.kind
        if self.kind == "novitus":
            return f"novitus:{self.target}"
        return f"{self.kind}:{self.target}" + (f":{self.port}" if self.port else "")


#: The serial ports a fiscal printer can be on, and nothing else: a setting is never a path to any file
#: (``posnet-serial:/etc/shadow`` or ``…:../../x`` would have the server open it).
SERIAL_DEVICE = re.compile(r"/dev/tty(?:S|USB|ACM)[0-9]{1,3}|/dev/serial/by-id/(?!\.{1,2}$)[A-Za-z0-9_:.+\-]{1,200}"
                           r"|[Cc][Oo][Mm][0-9]{1,3}")


def parse(spec: str | None) -> DeviceSpec:
    """Read a fiscal device setting; raise ValueError saying the form expected."""
    spec = (spec or "").strip()
    if not spec or spec == "none":
        return DeviceSpec("none")
    if spec == "emulator":
        return DeviceSpec("emulator")
    kind, _, rest = spec.partition(":")
    if kind == "posnet":
        host, _, port = rest.partition(":")
        if not re.fullmatch(r"[A-Za-z0-9.\-]{1,100}", host or "") or (port and not (port.isascii() and port.isdigit()
                                                                                    and 0 < int(port) < 65536)):
            raise ValueError("posnet:HOST[:PORT] (posnet:192.168.1.60:6666)")
        return DeviceSpec("posnet", host, int(port) if port else 6666)
    if kind == "posnet-serial":
        device, sep, baud = rest.rpartition(":")
        if not sep or not (baud.isascii() and baud.isdigit()):
            device, baud = rest, ""  # no baud rate given (COM3, /dev/ttyUSB0)
        if not SERIAL_DEVICE.fullmatch(device) or (baud and not 0 < int(baud) <= 1_000_000):
            raise ValueError("posnet-serial:DEVICE[:BAUD] — DEVICE is /dev/ttyS0, /dev/ttyUSB0, /dev/ttyACM0, "
                             "/dev/serial/by-id/NAME or COM3 (posnet-serial:/dev/ttyUSB0:9600)")
        return DeviceSpec("posnet-serial", device, int(baud) if baud else 9600)
    if kind == "novitus":
        if not re.fullmatch(r"https?://[^\s]{1,200}", rest):
            raise ValueError("novitus:URL (novitus:http://192.168.1.61:8888)")
        return DeviceSpec("novitus", rest)
    raise ValueError("posnet:HOST[:PORT], posnet-serial:DEVICE[:BAUD], novitus:URL, emulator")


def rate_code(percent: str | float | None) -> str | None:
    """A device's rate as our VAT code: 23,00 → "23"; 100 (exempt) → "zw"; 101 (inactive) → None."""
    if percent is None:
        return None
    value = float(str(percent).replace(",", "."))
    if value >= 101:
        return None
    if value == 100:
        return EXEMPT
    return f"{value:g}"
