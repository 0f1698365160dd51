"""A fake Posnet online printer on 127.0.0.1, written from the POSNET protocol (POT-I-DEV-37).

It checks every frame's CRC, answers with the command's own name and the token it was sent, keeps its
own fiscal memory (programmed rates, receipt counter, totals per rate since the daily report, daily
reports, the name→rate lock, an open transaction) and can fail the ways real devices do:

- ``paper``: the paper runs out at the first line of a receipt — printing commands get no answer until
  the connection closes, ``!sprn`` answers ``pr5`` (out of paper), the transaction stays open;
- ``drop``: ``trend`` is done (the receipt is printed), then the connection closes unanswered;
- ``hang``: the next command is never answered;
- ``refuse``: connections are refused (the listening socket closes) until cleared;
- ``twice``: every answer is sent twice (the second copy must be skipped by its token);
- ``error=NNNN``: the next ``trline`` is refused with that error number;
- ``mute``: connections are accepted and no command is ever answered, ``!sprn`` included (a switched-off
  printer behind a serial-to-LAN converter, which accepts TCP by itself);
- ``drops``: ``(command, "before")`` closes the connection when that command arrives, without doing it;
  ``(command, "after")`` does it, then closes unanswered (the answer is lost after any command); one-shot;
- ``slow``: seconds the device takes before each answer (a slow printer; longer than the driver's timeout
  means the answer comes too late and is skipped by its token).

Its clock (``clock``, a date; Polish local time unless set) answers ``rtcget`` and is checked
against ``dailyrep``'s ``da`` as the specification says: another date is refused (error 723, the number
the issue's independent fake answered; the error table was not at hand).

Where it is kinder than a device: it prints instantly unless ``slow``; it never runs out of fiscal memory;
it answers ``!sprn`` at once even while a printing command is held.
"""
from __future__ import annotations

import socket
import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from lukluk_pos.fiscal.posnet import ETX, STX, TAB, crc16, parse_frame

RATES = {"a": "23,00", "b": "8,00", "c": "5,00", "d": "0,00", "e": "100,00", "f": "101,00", "g": "101,00"}
PRINTING = {"trinit", "trline", "trnipset", "trpayment", "trend", "trftrln", "trftrend", "dailyrep"}
#: dailyrep's date is not the device's own.
DATE_MISMATCH = 723


def answer(command: str, fields: list[tuple[str, object]] = (), token: str | None = None,
           error: int | None = None) -> bytes:
    body = command.encode("ascii") + TAB
    for name, value in fields:
        body += name.encode("ascii") + str(value).encode("cp1250") + TAB
    if token is not None:
        body += b"@" + token.encode("ascii") + TAB
    if error is not None:
        body += f"?{error}".encode("ascii") + TAB
    return STX + body + b"#" + f"{crc16(body):04X}".encode("ascii") + ETX


class FakePosnet:
    def __init__(self):
        self.rates = dict(RATES)
        self.last_receipt = 0
        self.daily_reports: list[dict] = []
        self.totals: dict[str, int] = {}
        self.receipts_since_report = 0
        self.names: dict[str, str] = {}
        self.open: dict | None = None
        self.printed: list[dict] = []  # every fiscal receipt that came out
        self.cancelled = 0
        self.faults: set[str] = set()
        self.error_next_line: int | None = None
        self.drawer_opened = 0
        self.commands: list[str] = []
        self.drops: list[tuple[str, str]] = []
        self.slow = 0.0
        self.clock: date | None = None
        self.drift = timedelta(0)  #: how far its clock's time of day is from Polish time
        self.connections = 0
        #: Called with (command, "before"/"after") around each command; returning "drop" closes the
        #: connection there (the stateful test and the SIGKILL loop use it to kill the server mid-receipt).
        self.hook = None
        self._lock = threading.Lock()
        self._server = None
        self.port = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- life -----------------------------------------------------------------------------------

    def __enter__(self):
        self._listen()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._server is not None:
            self._server.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def _listen(self):
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "SO_REUSEPORT"):  # listening again on the port while accepted connections live
            self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        for attempt in range(50):
            try:
                self._server.bind(("127.0.0.1", self.port or 0))
                break
            except OSError:
                if attempt == 49:
                    raise
                time.sleep(0.05)
        self.port = self._server.getsockname()[1]
        self._server.listen(8)
        thread = threading.Thread(target=self._accept, args=(self._server,), daemon=True)
        thread.start()
        self._threads.append(thread)

    @property
    def spec(self) -> str:
        return f"posnet:127.0.0.1:{self.port}"

    def refuse(self, on: bool = True):
        """Stop (or start again) accepting connections on the same port."""
        if on:
            self.faults.add("refuse")
            self._server.close()
        else:
            self.faults.discard("refuse")
            self._listen()

    def put_in_paper(self):
        self.faults.discard("paper")

    def _accept(self, server):
        while not self._stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()

    def _serve(self, conn):
        buffer = b""
        conn.settimeout(0.2)
        try:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(4096)
                except socket.timeout:
                    continue
                if not chunk:
                    return
                buffer += chunk
                while STX in buffer and ETX in buffer[buffer.index(STX):]:
                    start = buffer.index(STX)
                    end = buffer.index(ETX, start)
                    raw, buffer = buffer[start + 1:end], buffer[end + 1:]
                    reply = self._handle(raw)
                    if reply == "close":
                        return
                    if reply is None:
                        continue  # held: no answer on this connection
                    if self.slow and not raw.startswith(b"!"):
                        time.sleep(self.slow)
                    conn.sendall(reply * (2 if "twice" in self.faults else 1))
        except OSError:
            return  # the till's side went away (a killed server): as a device, nothing to do
        finally:
            conn.close()

    # --- the device -----------------------------------------------------------------------------

    def _handle(self, raw: bytes):
        try:
            command, fields, token, _error = parse_frame(raw)
        except ValueError:
            return answer("ERR", [], None, error=5)
        if "mute" in self.faults:
            return None
        with self._lock:
            self.commands.append(command)
            if self._drop(command, "before"):
                return "close"
            if "hang" in self.faults:
                self.faults.discard("hang")
                return None
            if command == "!sprn":
                return answer(command, [("pr", 5 if "paper" in self.faults else 0)], token)
            if "paper" in self.faults and command in PRINTING:
                if command in ("trinit", "trline") and self.open is None:
                    self.open = {"lines": [], "payments": [], "nip": None}
                return None
            handler = getattr(self, "_" + command.lstrip("!"), None)
            if handler is None:
                return answer(command, [], token, error=1)
            result = handler(fields)
            if result == "drop" or self._drop(command, "after"):
                return "close"
            if isinstance(result, int):
                return answer(command, [], token, error=result)
            return answer(command, result or [], token)

    def _drop(self, command: str, when: str) -> bool:
        if (command, when) in self.drops:
            self.drops.remove((command, when))
            return True
        return self.hook is not None and self.hook(command, when) == "drop"

    def today(self) -> date:
        return self.clock or datetime.now(ZoneInfo("Europe/Warsaw")).date()  # a Polish device's clock

    def _rtcget(self, f):
        # Its own clock: the day it is set to (or today in Poland), at Polish local time, plus any drift set.
        moment = datetime.now(ZoneInfo("Europe/Warsaw")) + self.drift
        return [("da", f"{self.today().isoformat()};{moment:%H:%M}")]

    def _sid(self, f):
        return [("nm", "FAKE POSNET THERMAL HD ONLINE"), ("vr", "2.01")]

    def _sdev(self, f):
        return [("ds", 0), ("qe", 1)]

    def _vatget(self, f):
        return [("v" + k, v) for k, v in self.rates.items()]

    def _scnt(self, f):
        return [("rd", len(self.daily_reports)), ("bn", self.last_receipt), ("bt", self.last_receipt)]

    def _strns(self, f):
        return [("to", 1 if self.open is not None else 0), ("ts", 16)]

    def _stot(self, f):
        return [("no", len(self.daily_reports) + 1), ("pn", self.receipts_since_report)] + [
            ("p" + slot.lower(), amount) for slot, amount in self.totals.items()]

    def _trinit(self, f):
        if self.open is not None:
            return 2038
        self.open = {"lines": [], "payments": [], "nip": None, "info": []}
        return []

    def _key(self, name: str) -> str:
        return "".join(ch for ch in name.casefold() if ch.isalnum() or ch in ".,%/\\")

    def _trline(self, f):
        if self.open is None:
            return 2064
        if self.error_next_line is not None:
            code, self.error_next_line = self.error_next_line, None
            return code
        slot = "ABCDEFG"[int(f["vt"])]
        if self.rates[slot.lower()] == "101,00":
            return 2000
        locked = self.names.get(self._key(f["na"]))
        if locked is not None and locked != slot:
            return 2106
        price, quantity = int(f["pr"]), int(f.get("il", "1"))
        value = int(f.get("wa", price * quantity))
        if value != price * quantity:
            return 2802
        discount = int(f.get("rw", "0")) if f.get("rd", "1") in ("1", "T", "t") else 0
        self.open["lines"].append({"name": f["na"], "slot": slot, "total": value - discount,
                                   "description": f.get("op", "")})
        return []

    def _trnipset(self, f):
        if self.open is None:
            return 2064
        nip = f.get("ni", "")
        if len(nip) != 10 or not nip.isdigit():
            return 2096
        self.open["nip"] = nip
        return []

    def _trpayment(self, f):
        if self.open is None:
            return 2064
        self.open["payments"].append((int(f["ty"]), int(f["wa"]), f.get("re", "0") in ("1", "T")))
        return []

    def _trend(self, f):
        if self.open is None or not self.open["lines"]:
            return 1992
        total = sum(line["total"] for line in self.open["lines"])
        if int(f["to"]) != total:
            return 2805
        paid = sum(amount for _ty, amount, change in self.open["payments"] if not change)
        change = sum(amount for _ty, amount, is_change in self.open["payments"] if is_change)
        if paid - change != total or int(f.get("fp", paid)) != paid:
            return 2054
        for line in self.open["lines"]:
            self.names.setdefault(self._key(line["name"]), line["slot"])
            self.totals[line["slot"]] = self.totals.get(line["slot"], 0) + line["total"]
        self.last_receipt += 1
        self.receipts_since_report += 1
        self.printed.append({"number": self.last_receipt, "total": total, **self.open})
        self.open = None if f.get("fe", "1") in ("1", "T") else None
        if "drop" in self.faults:
            self.faults.discard("drop")
            return "drop"
        return []

    def _trftrln(self, f):
        self.printed[-1].setdefault("info", []).append(f.get("na", ""))
        return []

    def _trftrend(self, f):
        return []

    def _prncancel(self, f):
        if self.open is not None:
            self.cancelled += 1
        self.open = None
        return []

    def _dailyrep(self, f):
        if self.open is not None:
            return 2038
        if "da" in f and f["da"].replace(".", "-").replace("/", "-")[:10] != self.today().isoformat():
            return DATE_MISMATCH
        self.daily_reports.append({"totals": dict(self.totals), "receipts": self.receipts_since_report,
                                   "date": self.today().isoformat()})
        self.totals, self.receipts_since_report = {}, 0
        return []

    def _opendrwr(self, f):
        self.drawer_opened += 1
        return []
