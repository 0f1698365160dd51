"""A fiscal printer in software, for the demo, training and tests.

It keeps a device's fiscal memory in a JSON file in the instance folder — the programmed VAT table,
the last receipt number, the totals per rate since the last daily report, the daily reports, the
name→rate lock, an unfinished receipt — written atomically after every change, so it behaves like a
device across restarts and crashes. It follows the same rules as a real device: a name once sold at a
rate is refused at another (the "algorytm weryfikujący"), the payments must cover the total, an
unfinished receipt must be cancelled before another starts.

Faults for tests and training are set in the same file (``"fault"``): ``paper`` (the paper runs out
after the first line; the receipt stays unfinished), ``drop`` (the receipt is printed, then the answer
is lost), ``hang``/``refuse`` (the device does not answer / refuses the connection). ``paper`` stays
until cleared (``put_in_paper``); the others happen once.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path

from flask_babel import lazy_gettext as _l

from .device import SLOTS, Counters, DailyTotals, DeviceUnreachable, FiscalError, Receipt, Status

FILE_NAME = "fiscal-emulator.json"
#: A shop's usual programming: A 23 %, B 8 %, C 5 %, D 0 %, E exempt; F and G unused.
DEFAULT_RATES = {"A": "23", "B": "8", "C": "5", "D": "0", "E": "zw", "F": None, "G": None}

_lock = threading.Lock()


def _fresh() -> dict:
    return {"model": "LukLuk emulator", "rates": dict(DEFAULT_RATES), "last_receipt": 0, "daily_reports": [],
            "totals": {}, "receipts_since_report": 0, "names": {}, "open": None, "fault": None, "journal": []}


def _name_key(name: str) -> str:
    # As the device compares names: letters and digits (case-insensitive), dot, comma, percent, slashes.
    return "".join(ch for ch in name.casefold() if ch.isalnum() or ch in ".,%/\\")


class EmulatedPrinter:
    """The built-in fiscal printer; ``path`` is its fiscal memory file."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # --- fiscal memory --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _memory(self, *, write: bool):
        with _lock, self._file_lock():
            memory = self._read()
            yield memory
            if write:
                self._write(memory)

    @contextlib.contextmanager
    def _file_lock(self):
        # Another process (the CLI, a second server) may use the same device file.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as handle:
            try:
                import fcntl

                fcntl.flock(handle, fcntl.LOCK_EX)
            except ImportError:  # Windows: one server process drives the device
                pass
            yield

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return _fresh()

    def _write(self, memory: dict) -> None:
        temp = self.path.with_suffix(".tmp")
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(memory, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.path)

    def _check_reachable(self, memory: dict) -> None:
        fault = memory.get("fault")
        if fault in ("hang", "refuse"):
            memory["fault"] = None
            self._write(memory)
            raise DeviceUnreachable(fault)

    # --- the interface --------------------------------------------------------------------------

    def close(self) -> None:
        pass

    def status(self) -> Status:
        with self._memory(write=True) as memory:
            self._check_reachable(memory)
            if memory.get("fault") == "paper":
                return Status(ready=False, problem=str(_l("Out of paper: put in a new roll.")), model=memory["model"])
            return Status(ready=True, model=memory["model"])

    def counters(self) -> Counters:
        with self._memory(write=True) as memory:
            self._check_reachable(memory)
            return Counters(daily_reports=len(memory["daily_reports"]), last_receipt=memory["last_receipt"],
                            transaction_open=memory["open"] is not None)

    def clock(self):
        """No clock of its own to read: None."""
        return None

    def clock_date(self):
        """The emulator keeps the computer's clock: None (the service uses the shop's date)."""
        return None

    def vat_table(self) -> dict[str, str | None]:
        with self._memory(write=True) as memory:
            self._check_reachable(memory)
            return {slot: memory["rates"].get(slot) for slot in SLOTS}

    def send_receipt(self, receipt: Receipt) -> int:
        with self._memory(write=True) as memory:
            self._check_reachable(memory)
            if memory["open"] is not None:
                raise FiscalError(_l("A receipt is already open on the fiscal printer."), code=2038)
            if not receipt.lines or receipt.total_minor <= 0:
                raise FiscalError(_l("A receipt of zero cannot be registered."), code=2041)
            for line in receipt.lines:
                if memory["rates"].get(line.slot) is None:
                    raise FiscalError(_l("VAT rate error: the rate is not programmed in the fiscal printer."),
                                      code=2000)
                locked = memory["names"].get(_name_key(line.name))
                if locked is not None and locked != line.slot:
                    raise FiscalError(_l("VAT rate error: this name of goods was sold at another rate and is "
                                         "locked."), code=2106)
            if memory.get("fault") == "paper":
                # The first line comes out, then the paper ends: the receipt stays open on the device.
                memory["open"] = {"lines": 1}
                return self._raise_after_write(memory, FiscalError(_l("Out of paper: put in a new roll.")))
            paid = sum(p.amount_minor for p in receipt.payments)
            if paid - receipt.change_minor != receipt.total_minor:
                raise FiscalError(_l("The payments do not cover the total."), code=2054)
            for line in receipt.lines:
                memory["names"].setdefault(_name_key(line.name), line.slot)
            for slot, amount in receipt.by_slot().items():
                memory["totals"][slot] = memory["totals"].get(slot, 0) + amount
            memory["last_receipt"] += 1
            memory["receipts_since_report"] += 1
            memory["journal"] = (memory["journal"] + [{
                "number": memory["last_receipt"], "total": receipt.total_minor, "nip": receipt.nip,
                "info": [list(pair) for pair in receipt.info],
                "lines": [[line.name, line.slot, line.quantity, line.total_minor] for line in receipt.lines],
            }])[-200:]
            if memory.get("fault") == "drop":
                memory["fault"] = None
                return self._raise_after_write(memory, DeviceUnreachable("drop"), delivered=True)
            return memory["last_receipt"]

    def _raise_after_write(self, memory: dict, error: FiscalError, *, delivered: bool = False):
        self._write(memory)  # what the device did is in its memory even though the answer is lost
        error.delivered = delivered
        raise error

    def cancel_open(self) -> None:
        with self._memory(write=True) as memory:
            self._check_reachable(memory)
            memory["open"] = None

    def totals(self) -> DailyTotals:
        with self._memory(write=True) as memory:
            self._check_reachable(memory)
            return DailyTotals(number=len(memory["daily_reports"]) + 1, by_slot=dict(memory["totals"]),
                               receipts=memory["receipts_since_report"])

    def daily_report(self, day=None) -> DailyTotals:
        with self._memory(write=True) as memory:
            self._check_reachable(memory)
            if memory["open"] is not None:
                raise FiscalError(_l("A receipt is already open on the fiscal printer."), code=2038)
            report = DailyTotals(number=len(memory["daily_reports"]) + 1, by_slot=dict(memory["totals"]),
                                 receipts=memory["receipts_since_report"])
            memory["daily_reports"].append({"number": report.number, "day": str(day or ""),
                                            "by_slot": report.by_slot, "receipts": report.receipts})
            memory["totals"], memory["receipts_since_report"] = {}, 0
            return report

    def open_drawer(self) -> None:
        with self._memory(write=False) as memory:
            self._check_reachable(memory)

    # --- for tests and training -----------------------------------------------------------------

    def set_fault(self, fault: str | None) -> None:
        with self._memory(write=True) as memory:
            memory["fault"] = fault

    def put_in_paper(self) -> None:
        self.set_fault(None)

    def memory(self) -> dict:
        with self._memory(write=False) as memory:
            return memory
