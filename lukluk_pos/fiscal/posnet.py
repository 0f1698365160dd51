"""The POSNET protocol of Posnet online fiscal printers (specification POT-I-DEV-37), over TCP or serial.

A frame is ``STX command TAB (name value TAB)* @TOKEN TAB #CRC ETX``: two-letter parameter names, text
in Windows-1250, amounts in grosze, CRC16-CCITT (poly 0x1021, init 0) over everything between STX and
``#`` as four upper-case hex digits. The device answers ``STX command TAB (name value TAB)* #CRC ETX``
or, on an error, ``… ?NNNN …``. Every command here carries a fresh four-digit token, echoed in the
answer: an answer with another token (a late or doubled answer) is skipped, never taken for ours.

What the service needs of a receipt: ``trinit``, ``trline`` (name, rate slot 0–6, price, quantity,
value, line discount), ``trnipset``, ``trpayment``, ``trend`` then ``trftrln`` info lines and
``trftrend``; ``prncancel`` cancels an unfinished one; ``scnt``/``strns`` tell which receipt came out
last and whether one is open; ``stot`` the totals since the last daily report; ``rtcget`` the device's
clock; ``dailyrep`` prints the daily report, with the date the device's own clock shows (the device
checks ``da`` against its clock; a late close after midnight is the next calendar day).

Every conversation has a deadline: each answer is waited for at most the I/O timeout and never past the
deadline, and a stopped printer is asked why (``!sprn``) once, never recursively.
"""
from __future__ import annotations

import itertools
import socket
import threading
import time
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from .device import (
    SLOTS,
    Counters,
    DailyTotals,
    DeviceSpec,
    DeviceUnreachable,
    FiscalError,
    Receipt,
    Status,
    rate_code,
)

STX, ETX, TAB = b"\x02", b"\x03", b"\x09"
ENCODING = "cp1250"
CONNECT_TIMEOUT = 3.0
#: A receipt line or the daily report can take a few seconds to print.
IO_TIMEOUT = 10.0

#: Error numbers a volunteer or the admin can act on, in plain words (the rest: "Błąd drukarki fiskalnej NNNN").
ERRORS = {
    1: _l("The fiscal printer did not understand the command (a program error)."),
    4: _l("The fiscal printer refused the request token."),
    5: _l("The connection to the fiscal printer is disturbed (checksum)."),
    11: _l("The fiscal printer is busy: try again in a moment."),
    14: _l("The fiscal printer is busy: try again in a moment."),
    41: _l("The fiscal printer is being used from its own keyboard or another program."),
    723: _l("The fiscal printer refused the daily report's date: its clock shows another day. Check the date on "
            "the printer's display; if it is wrong, call the printer's service technician."),
    382: _l("There were no sales since the last daily report."),
    384: _l("The fiscal printer's memory has no such record."),
    387: _l("The fiscal memory is full: call the printer's service technician."),
    484: _l("The fiscal printer's working time ran out: call the printer's service technician."),
    488: _l("The fiscal printer's subscription ran out: call the printer's service technician."),
    1950: _l("The receipt is too large for the fiscal printer."),
    2000: _l("VAT rate error: the rate is not programmed in the fiscal printer."),
    2004: _l("VAT rate error: the fiscal printer has no active VAT rates."),
    2006: _l("The fiscal printer refused a price of zero."),
    2010: _l("The fiscal printer's day totals are full: print the daily report."),
    2021: _l("The fiscal printer needs its daily report from yesterday before it can sell."),
    2031: _l("The buyer's NIP is not valid."),
    2036: _l("The fiscal printer is in read-only mode: call the printer's service technician."),
    2038: _l("A receipt is already open on the fiscal printer."),
    2041: _l("A receipt of zero cannot be registered."),
    2054: _l("The payments do not cover the total."),
    2060: _l("The fiscal printer is in the middle of another document."),
    2062: _l("The fiscal printer is in the middle of another document."),
    2096: _l("The buyer's NIP must have exactly 10 digits."),
    2102: _l("VAT rate error: the rate is not active in the fiscal printer."),
    2103: _l("VAT rate error: the rate is not valid in the fiscal printer."),
    2104: _l("The fiscal printer refused the name of the goods."),
    2105: _l("VAT rate error: this name of goods is bound to another rate."),
    2106: _l("VAT rate error: this name of goods was sold at another rate and is locked."),
    2805: _l("The fiscal printer counted another total than the till."),
    2808: _l("The fiscal printer counted other payments than the till."),
}

#: The mechanism status (``sprn``) in plain words: what the volunteer has to fix before trying again.
MECHANISM = {
    1: _l("The printer's cover is open: close it."),
    2: _l("The printing mechanism cannot be reached."),
    3: _l("The printer's cover is open: close it."),
    5: _l("Out of paper: put in a new roll."),
    6: _l("The printer is too hot or its power is too weak."),
    7: _l("The printer lost power for a moment."),
    8: _l("The paper cutter is jammed."),
    9: _l("The printer's power supply failed."),
    10: _l("The printer's cover opened while cutting."),
}

#: Payment kinds of ``trpayment``: 0 cash, 2 card.
PAYMENT_TYPES = {"cash": 0, "card": 2}


def crc16(data: bytes) -> int:
    """CRC16-CCITT as the Posnet protocol uses it (poly 0x1021, init 0, no reflection)."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def encode_value(value) -> bytes:
    text = str(value)
    # TAB, STX, ETX and '#' would break the frame; the names are already cleaned, this is the last guard.
    text = "".join(" " if ch in "\t\r\n\x02\x03#" or ord(ch) < 0x20 else ch for ch in text)
    return text.encode(ENCODING, errors="replace")


def frame(command: str, params: list[tuple[str, object]] = (), token: str | None = None) -> bytes:
    body = command.encode("ascii") + TAB
    for name, value in params:
        body += name.encode("ascii") + encode_value(value) + TAB
    if token is not None:
        body += b"@" + token.encode("ascii") + TAB
    return STX + body + b"#" + f"{crc16(body):04X}".encode("ascii") + ETX


def parse_frame(raw: bytes) -> tuple[str, dict[str, str], str | None, int | None]:
    """One frame (without STX/ETX) → (command, fields, token, error number or None). Raises ValueError."""
    body, sep, crc = raw.rpartition(b"#")
    if not sep or len(crc) != 4 or int(crc, 16) != crc16(body):
        raise ValueError("bad checksum")
    parts = body.split(TAB)
    command = parts[0].decode("ascii", errors="replace")
    fields: dict[str, str] = {}
    token = error = None
    for part in parts[1:]:
        if not part:
            continue
        text = part.decode(ENCODING, errors="replace")
        if text.startswith("@"):
            token = text[1:]
        elif text.startswith("?"):
            error = int(text[1:]) if text[1:].isdigit() else 0
        else:
            fields[text[:2]] = text[2:]
    return command, fields, token, error


class Link:
    """A byte pipe to the device: a TCP socket or a serial port, opened per use with short limits."""

    def __init__(self, spec: DeviceSpec, io_timeout: float):
        self.spec = spec
        self.io_timeout = io_timeout
        self._sock = None
        self._serial = None

    def open(self) -> None:
        try:
            if self.spec.kind == "posnet":
                self._sock = socket.create_connection((self.spec.target, self.spec.port), timeout=CONNECT_TIMEOUT)
                self._sock.settimeout(self.io_timeout)
            else:
                import serial  # pyserial, only where a serial device is set

                self._serial = serial.Serial(self.spec.target, self.spec.port or 9600, timeout=self.io_timeout,
                                             write_timeout=self.io_timeout)
        except (OSError, ValueError) as exc:
            raise DeviceUnreachable(str(exc)) from exc

    def limit(self, seconds: float) -> None:
        """Wait at most this long for the next bytes (the conversation's deadline may be nearer)."""
        if self._sock is not None:
            self._sock.settimeout(max(0.01, seconds))
        elif self._serial is not None:
            self._serial.timeout = max(0.01, seconds)

    def write(self, data: bytes) -> None:
        if self._sock is not None:
            self._sock.sendall(data)
        else:
            self._serial.write(data)
            self._serial.flush()

    def read(self) -> bytes:
        if self._sock is not None:
            return self._sock.recv(4096)
        return self._serial.read(max(1, self._serial.in_waiting))

    def close(self) -> None:
        for thing in (self._sock, self._serial):
            if thing is not None:
                try:
                    thing.close()
                except OSError:
                    pass
        self._sock = self._serial = None


class PosnetPrinter:
    """A Posnet online printer. One connection per use; every command waits for its own answer."""

    _tokens = itertools.count(int(time.time()) % 9000)
    _token_lock = threading.Lock()

    def __init__(self, spec: DeviceSpec, *, io_timeout: float = IO_TIMEOUT, deadline: float | None = None,
                 probing: bool = False):
        self.spec = spec
        self.io_timeout = io_timeout
        #: ``time.monotonic()`` past which nothing more is waited for (the whole conversation's limit).
        self.deadline = deadline if deadline is not None else time.monotonic() + 6 * io_timeout
        #: A probe (``!sprn``) never probes again when it gets no answer itself.
        self.probing = probing
        self.link = Link(spec, io_timeout)
        self._buffer = b""
        self._connected = False

    # --- the wire -------------------------------------------------------------------------------

    def _connect(self) -> None:
        if not self._connected:
            self.link.open()
            self._connected = True
            self._buffer = b""

    def close(self) -> None:
        self.link.close()
        self._connected = False

    def _next_token(self) -> str:
        with self._token_lock:
            return f"{next(self._tokens) % 10000:04d}"

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _read_frame(self) -> bytes:
        while True:
            start = self._buffer.find(STX)
            end = self._buffer.find(ETX, start + 1) if start >= 0 else -1
            if start >= 0 and end > start:
                raw, self._buffer = self._buffer[start + 1:end], self._buffer[end + 1:]
                return raw
            left = self._left()
            if left <= 0:
                raise TimeoutError("the conversation's deadline passed")
            self.link.limit(min(self.io_timeout, left))
            chunk = self.link.read()
            if not chunk:
                raise ConnectionError("the device closed the connection")
            self._buffer += chunk

    def command(self, name: str, params: list[tuple[str, object]] = (), *, delivered_if_lost: bool = False
                ) -> dict[str, str]:
        """Send one command and return the fields of its own answer; raise FiscalError on an error."""
        if self._left() <= 0:
            self.close()
            error = DeviceUnreachable("the conversation's deadline passed")
            error.delivered = delivered_if_lost
            raise error
        token = self._next_token()
        try:
            self._connect()
            self.link.write(frame(name, params, token))
            while True:
                try:
                    answer, fields, echoed, error = parse_frame(self._read_frame())
                except ValueError:
                    continue  # a damaged frame: the device's answer to ours is still to come
                if echoed not in (None, token) or answer not in (name, "ERR"):
                    continue  # a doubled or late answer to an earlier command
                break
        except DeviceUnreachable as exc:
            exc.delivered = delivered_if_lost
            raise
        except (OSError, ConnectionError) as exc:
            self.close()
            if isinstance(exc, (TimeoutError, socket.timeout)) and not self.probing:
                problem = self._mechanism_problem()
                if problem:
                    raise FiscalError(problem, delivered=delivered_if_lost) from exc
            error = DeviceUnreachable(str(exc))
            error.delivered = delivered_if_lost
            raise error from exc
        if error is not None:
            problem = self._mechanism_problem() if error in (0, 50) and not self.probing else None
            raise FiscalError(problem or ERRORS.get(error) or _l("Fiscal printer error %(code)s.", code=error),
                              code=error)
        return fields

    def _mechanism_problem(self):
        """Ask the mechanism (out of turn, ``!sprn``) why it stopped: paper, cover … Once: a probe that gets
        no answer itself says nothing more (a device that accepts connections and never answers)."""
        if self._left() <= 0:
            return None
        try:
            probe = PosnetPrinter(self.spec, io_timeout=min(2.0, self.io_timeout),
                                  deadline=min(self.deadline, time.monotonic() + 2.0), probing=True)
            try:
                pr = probe.command("!sprn").get("pr", "0")
            finally:
                probe.close()
            return MECHANISM.get(int(pr)) if pr.isdigit() else None
        except FiscalError:
            return None

    # --- the interface --------------------------------------------------------------------------

    def status(self) -> Status:
        problem = self._mechanism_problem()
        model = ""
        try:
            model = self.command("sid").get("nm", "")
        finally:
            self.close()
        return Status(ready=problem is None, problem=str(problem) if problem else None, model=model)

    def counters(self) -> Counters:
        try:
            counts = self.command("scnt")
            trns = self.command("strns")
        finally:
            self.close()
        return Counters(daily_reports=int(counts.get("rd", "0")), last_receipt=int(counts.get("bt", "0")),
                        transaction_open=trns.get("to", "0") == "1")

    def clock_date(self) -> date | None:
        """The date on the device's clock (``rtcget``: ``da`` is ``yyyy-mm-dd;hh:mm``)."""
        return _clock(self._rtc())[0]

    def clock(self) -> datetime | None:
        """The device's clock, to the minute (``rtcget``'s ``da``, in its local time)."""
        return _clock(self._rtc())[1]

    def _rtc(self) -> str:
        try:
            return self.command("rtcget").get("da", "")
        finally:
            self.close()

    def vat_table(self) -> dict[str, str | None]:
        try:
            fields = self.command("vatget")
        finally:
            self.close()
        return {slot: rate_code(fields.get("v" + slot.lower())) for slot in SLOTS}

    def send_receipt(self, receipt: Receipt) -> int:
        try:
            return self._send_receipt(receipt)
        except FiscalError as exc:
            if exc.code is not None:  # refused mid-receipt, the line is alive: leave no open receipt behind
                try:
                    self.command("prncancel")
                except FiscalError:
                    pass
            raise
        finally:
            self.close()

    def _send_receipt(self, receipt: Receipt) -> int:
        self.command("trinit", [("bm", 1)])
        for line in receipt.lines:
            params = [("na", line.name), ("vt", SLOTS.index(line.slot)), ("pr", line.unit_price_minor),
                      ("il", line.quantity), ("wa", line.gross_minor)]
            if line.description:
                params.append(("op", line.description))
            if line.discount_minor:
                params += [("rd", 1), ("rw", line.discount_minor), ("rn", "Rabat")]
            self.command("trline", params)
        if receipt.nip:
            self.command("trnipset", [("ni", receipt.nip)])
        paid = 0
        for payment in receipt.payments:
            self.command("trpayment", [("ty", PAYMENT_TYPES[payment.kind]), ("wa", payment.amount_minor),
                                       ("re", 0)])
            paid += payment.amount_minor
        if receipt.change_minor:
            self.command("trpayment", [("ty", 0), ("wa", receipt.change_minor), ("re", 1)])
        end = [("to", receipt.total_minor), ("fp", paid), ("fe", 0 if receipt.info else 1)]
        if receipt.change_minor:
            end.append(("re", receipt.change_minor))
        # From here on the receipt may be printed even if the answer never comes back.
        self.command("trend", end, delivered_if_lost=True)
        for label, value in receipt.info:
            self._info_line(label, value)
        if receipt.info:
            self.command("trftrend", delivered_if_lost=True)
        return int(self.command("scnt", delivered_if_lost=True).get("bt", "0"))

    def _info_line(self, label: str, value: str) -> None:
        # id 38 "Info"; the label goes into the text so one id serves every line.
        try:
            self.command("trftrln", [("id", 38), ("na", f"{label}: {value}"[:40])], delivered_if_lost=True)
        except FiscalError as exc:
            if exc.code is None:
                raise
            # An info line the device refuses must not undo a receipt that is already fiscal.

    def cancel_open(self) -> None:
        try:
            self.command("prncancel")
        finally:
            self.close()

    def totals(self) -> DailyTotals:
        try:
            fields = self.command("stot")
        finally:
            self.close()
        return _totals(fields)

    def daily_report(self, day=None) -> DailyTotals:
        try:
            before = _totals(self.command("stot"))
            self.command("dailyrep", [("da", day.isoformat())] if day else [], delivered_if_lost=True)
        finally:
            self.close()
        return before

    def open_drawer(self) -> None:
        try:
            self.command("opendrwr")
        finally:
            self.close()


def _totals(fields: dict[str, str]) -> DailyTotals:
    by_slot = {slot: int(fields.get("p" + slot.lower(), "0") or 0) for slot in SLOTS}
    return DailyTotals(number=int(fields.get("no", "0") or 0), by_slot={k: v for k, v in by_slot.items() if v},
                       receipts=int(fields.get("pn", "0") or 0))


def _clock(text: str) -> tuple[date | None, datetime | None]:
    """``rtcget``'s ``yyyy-mm-dd;hh:mm`` read as the day and, when the time is there too, the moment."""
    day_text, _, hour = text.partition(";")
    try:
        day = date.fromisoformat(day_text[:10].replace(".", "-").replace("/", "-"))
    except ValueError:
        return None, None
    try:
        return day, datetime.combine(day, datetime.strptime(hour.strip()[:5], "%H:%M").time())
    except ValueError:
        return day, None
