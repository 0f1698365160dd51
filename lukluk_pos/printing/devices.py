"""Where the bytes go: the printer setting, opened with short timeouts and closed after each job.

``LUKLUK_PRINTER`` (or the admin's setting) is one of ``usb:VENDOR:PRODUCT``, ``network:HOST[:PORT]``,
``serial:DEVICE[:BAUD]``, ``cups:NAME``, ``win32:NAME``, ``file:PATH`` or ``preview`` (no printer:
receipts are kept and shown in the browser). python-escpos' own defaults wait 60 s on an unreachable
network printer and forever on USB; every connection here has a limit of a few seconds.
"""
from __future__ import annotations

import re
import socket
from dataclasses import dataclass

from ..core.validation import whole_number

#: Seconds to connect, and to wait for each write or status answer.
CONNECT_TIMEOUT = 3.0
IO_TIMEOUT = 5.0
#: DLE EOT 1: "send printer status"; an Epson-compatible printer answers one byte (0x16 or 0x12 …).
STATUS_QUERY = b"\x10\x04\x01"


class PrinterUnavailable(Exception):
    """The printer could not be reached or did not take the job; the job waits for the next try.

    ``sent``: the job's bytes had started to go out when it failed (a slow printer whose answer came too
    late, a cable pulled mid-job): the paper may have come out, so a second try must say it is one."""

    def __init__(self, message: str, *, sent: bool = False):
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True)
class PrinterSpec:
    kind: str  # usb, network, serial, cups, win32, file, preview
    target: str = ""
    port: int | None = None  # network port, serial baud rate
    product: int | None = None  # usb product id (target holds the vendor id)

    def __str__(self) -> str:
        if self.kind == "preview":
            return "preview"
        if self.kind == "usb":
            return f"usb:{self.target}:{self.product:#06x}"
        return f"{self.kind}:{self.target}" + (f":{self.port}" if self.port else "")


_HEX = r"(0x[0-9a-fA-F]{1,4}|\d{1,5})"


def parse(spec: str | None) -> PrinterSpec:
    """Read a printer setting; raise ValueError with what is wrong."""
    spec = (spec or "preview").strip()
    if spec == "preview":
        return PrinterSpec("preview")
    kind, _, rest = spec.partition(":")
    if kind == "usb":
        match = re.fullmatch(_HEX + ":" + _HEX, rest)
        if not match:
            raise ValueError("usb:VENDOR:PRODUCT (usb:0x04b8:0x0e15)")
        return PrinterSpec("usb", f"{int(match.group(1), 0):#06x}", product=int(match.group(2), 0))
    if kind == "network":
        host, _, port = rest.partition(":")
        if not host or (port and not whole_number(port, low=1, high=65535)):
            raise ValueError("network:HOST[:PORT] (network:192.168.1.50:9100)")
        return PrinterSpec("network", host, port=int(port) if port else 9100)
    if kind == "serial":
        device, _, baud = rest.partition(":")
        if not device or (baud and not whole_number(baud, low=1, high=10_000_000)):
            raise ValueError("serial:DEVICE[:BAUD] (serial:/dev/ttyUSB0:19200)")
        return PrinterSpec("serial", device, port=int(baud) if baud else 19200)
    if kind in ("cups", "win32", "file") and rest:
        return PrinterSpec(kind, rest)
    raise ValueError("usb:…, network:…, serial:…, cups:…, win32:…, file:…, preview")


def send(spec: PrinterSpec, data: bytes, *, check_status: bool = True) -> None:
    """Deliver the bytes to the printer now, or raise PrinterUnavailable; always closes the connection."""
    if spec.kind == "preview":
        return
    progress = {"sent": False}
    try:
        if spec.kind == "network":
            _send_network(spec, data, check_status, progress)
        elif spec.kind == "file":
            with open(spec.target, "ab") as handle:
                progress["sent"] = True
                handle.write(data)
                handle.flush()
        else:
            _send_escpos_device(spec, data, progress)
    except PrinterUnavailable as exc:
        exc.sent = exc.sent or progress["sent"]
        raise
    except Exception as exc:  # noqa: BLE001 — any device error means: not (known to be) printed, try again
        raise PrinterUnavailable(f"{type(exc).__name__}: {exc}", sent=progress["sent"]) from exc


def _send_network(spec: PrinterSpec, data: bytes, check_status: bool, progress: dict) -> None:
    """Raw TCP (port 9100) with short timeouts; the status query before and after proves the printer
    is alive and has read the job, so a printer that accepts the connection but hangs is noticed."""
    try:
        sock = socket.create_connection((spec.target, spec.port or 9100), timeout=CONNECT_TIMEOUT)
    except OSError as exc:
        raise PrinterUnavailable(f"cannot connect to {spec.target}:{spec.port}: {exc}") from exc
    try:
        sock.settimeout(IO_TIMEOUT)
        if check_status:
            _status(sock)
        progress["sent"] = True  # from here on the printer may print it, whatever comes back
        sock.sendall(data)
        if check_status:
            _status(sock)
    except OSError as exc:
        raise PrinterUnavailable(f"{spec.target}:{spec.port}: {exc}") from exc
    finally:
        sock.close()


def _status(sock: socket.socket) -> int:
    sock.sendall(STATUS_QUERY)
    answer = sock.recv(1)
    if not answer:
        raise PrinterUnavailable("the printer closed the connection")
    return answer[0]


def _send_escpos_device(spec: PrinterSpec, data: bytes, progress: dict) -> None:
    """USB, serial, CUPS and Windows printers through python-escpos' own classes, with timeouts set."""
    from escpos import printer as escpos_printer

    if spec.kind == "usb":
        device = escpos_printer.Usb(int(spec.target, 16), spec.product, timeout=int(IO_TIMEOUT * 1000))
    elif spec.kind == "serial":
        device = escpos_printer.Serial(devfile=spec.target, baudrate=spec.port or 19200, timeout=IO_TIMEOUT)
    elif spec.kind == "cups":
        device = escpos_printer.CupsPrinter(spec.target)
    elif spec.kind == "win32":
        device = escpos_printer.Win32Raw(spec.target)
    else:
        raise PrinterUnavailable(f"unknown printer kind {spec.kind}")
    try:
        device.open()
        progress["sent"] = True
        device._raw(data)
    finally:
        device.close()
