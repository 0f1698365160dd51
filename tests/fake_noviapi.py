"""A fake Novitus printer speaking NoviAPI on 127.0.0.1, written from the NoviAPI description (v1.0.4).

The protocol as the manufacturer describes it: a token from ``GET /token`` (few an hour, one honoured at
a time, refreshed with ``PATCH /token``); every command is ``POST``ed (stored, ``STORED`` with a
32-character id), confirmed with ``PUT`` (queued), carried out by the device in turn, and asked about
with ``GET …/{id}?timeout=ms`` (long-polled: ``QUEUED``, ``PENDING``, ``DONE`` with the document's
``jpkid``, or ``ERROR`` with a code and description; the device's own state beside it). ``/queue`` says
how many commands wait and ``DELETE /queue`` takes back those not yet carried out.

Its fiscal memory: programmed rates, the name→rate lock, totals per rate since the daily report, the
last document number (jpkid), daily reports, every receipt printed. Its failures:

- ``paper``: the receipt stops at its first line (``PENDING``, the device ``ERROR`` "Brak papieru")
  until paper is put in (it then prints) or the queue is cleared (it is cancelled);
- ``drop``: the receipt prints, then the answer to the next question about it is never sent (the
  connection closes);
- ``hang``: the next receipt is confirmed and never carried out (it waits in the queue until taken back);
- ``refuse``: connections are refused until cleared;
- ``error``: the next receipt ends in ``ERROR`` with ``error_next`` = (code, description);
- ``mute``: connections are accepted and no request is answered (until the fault is cleared);
- ``drops``: ``("PUT receipt", "before")`` closes the connection when that call arrives without doing it,
  ``("PUT receipt", "after")`` does it and closes unanswered (any method and kind: the answer is lost after
  any call); one-shot;
- ``slow``: seconds before each answer.

Its clock (``clock``, a date; Polish local time unless set) is checked against the daily report's
``date``, as the description says the device confirms it: another date ends the request in ``ERROR``.

Where it is kinder than a device: it prints instantly unless ``slow``; the token lasts 20 minutes and is
never withdrawn by the device on its own.
"""
from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests import fake_http

RATES = {"A": "23.00", "B": "8.00", "C": "5.00", "D": "0.00", "E": "ZW"}
KINDS = {"receipt": "receipt", "daily_report": "daily_report", "status": "status", "nf_printout": "printout",
         "invoice": "invoice"}
TOKENS_PER_HOUR = 10
PAPER = (3, "Brak papieru")


def grosze(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


class FakeNoviApi(fake_http.Listening):
    def __init__(self):
        self.rates = dict(RATES)
        self.last_jpkid = 1000
        self.daily_reports: list[dict] = []
        self.totals: dict[str, int] = {}
        self.names: dict[str, str] = {}
        self.printed: list[dict] = []
        self.cancelled = 0
        self.faults: set[str] = set()
        self.error_next: tuple[int, str] | None = None
        self.drawer_opened = 0
        self.tokens_minted = 0
        self.token: str | None = None
        self.requests: dict[str, dict] = {}
        self.queue: list[str] = []
        self.device_error: tuple[int, str] | None = None
        self.drop_answer: set[str] = set()
        self.drops: list[tuple[str, str]] = []
        #: Called with (call, "before"/"after") around each call ("PUT receipt"); "drop" closes the connection.
        self.call_hook = None
        self.slow = 0.0
        self.clock: date | None = None
        #: Called by the device as it works: ("confirm", id) before a command is queued — returning
        #: "drop" leaves it stored, unconfirmed, and the answer unsent; ("printed", id) after a receipt.
        self.hook = None
        self.port = None
        self._cond = threading.Condition()
        self._server = None
        self._stop = threading.Event()
        self._worker = None

    # --- life -----------------------------------------------------------------------------------

    def __enter__(self):
        self._listen()
        self._worker = threading.Thread(target=self._work, daemon=True)
        self._worker.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._close()
        self._worker.join(timeout=2)

    @property
    def spec(self) -> str:
        return f"novitus:{self.url}"

    def put_in_paper(self):
        with self._cond:
            self.faults.discard("paper")
            self._cond.notify_all()

    # --- the device at work ---------------------------------------------------------------------

    def _work(self):
        while not self._stop.is_set():
            with self._cond:
                ready = [rid for rid in self.queue if self.requests[rid]["status"] == "QUEUED"
                         and not self.requests[rid].get("hung")]
                if not ready:
                    self._cond.wait(0.05)
                    continue
                rid = ready[0]
                request = self.requests[rid]
                if request["kind"] == "receipt" and "hang" in self.faults:
                    self.faults.discard("hang")
                    request["hung"] = True
                    continue
                request["status"] = "PENDING"
            try:
                self._carry_out(rid, request)
            finally:
                with self._cond:
                    if rid in self.queue:
                        self.queue.remove(rid)
                    self._cond.notify_all()

    def _carry_out(self, rid: str, request: dict):
        kind, doc = request["kind"], request["doc"]
        if kind == "receipt":
            self._receipt(rid, request, doc)
        elif kind == "daily_report":
            with self._cond:
                if doc.get("date") != self.today().strftime("%d-%m-%Y"):
                    request.update(status="ERROR", error={"code": 31, "description": "Błędna data raportu dobowego"})
                    return
                self.daily_reports.append({"totals": dict(self.totals), "date": doc["date"],
                                           "receipts": sum(1 for p in self.printed if p["report"] is None)})
                for receipt in self.printed:
                    if receipt["report"] is None:
                        receipt["report"] = len(self.daily_reports)
                self.totals = {}
                self.last_jpkid += 1
                request.update(status="DONE", jpkid=self.last_jpkid)
        else:
            with self._cond:
                self.last_jpkid += 1
                request.update(status="DONE", jpkid=self.last_jpkid)

    def _receipt(self, rid: str, request: dict, doc: dict):
        with self._cond:
            if "paper" in self.faults:
                self.device_error = PAPER
                while "paper" in self.faults and rid in self.queue and not self._stop.is_set():
                    self._cond.wait(0.05)
                self.device_error = None
                if rid not in self.queue:  # taken back while it waited for paper: nothing printed
                    self.cancelled += 1
                    request.update(status="ERROR", error={"code": 2, "description": "Anulowano"})
                    return
            problem = self._check_receipt(doc)
            if problem is None and self.error_next is not None:
                problem, self.error_next = self.error_next, None
            if problem is not None:
                request.update(status="ERROR", error={"code": problem[0], "description": problem[1]})
                return
            lines = []
            for item in doc["items"]:
                article = item["article"]
                discount = grosze(article.get("discount_markup", {}).get("value", 0))
                total = grosze(article["value"]) - discount
                self.names.setdefault(article["name"].lower(), article["ptu"])
                self.totals[article["ptu"]] = self.totals.get(article["ptu"], 0) + total
                lines.append({"name": article["name"], "slot": article["ptu"], "price": grosze(article["price"]),
                              "quantity": Decimal(article["quantity"]), "total": total,
                              "description": article.get("description", "")})
            self.last_jpkid += 1
            system = doc.get("system_info", {})
            self.printed.append({
                "number": self.last_jpkid, "lines": lines, "total": grosze(doc["summary"]["total"]),
                "payments": [(kind, grosze(value["value"])) for p in doc.get("payments", [])
                             for kind, value in p.items()],
                "change": grosze(doc["summary"].get("change") or 0), "nip": doc.get("buyer", {}).get("nip"),
                "system_number": system.get("system_number", {}).get("value"), "cashier": system.get("cashier_name"),
                "report": None})
            if doc.get("device_control", {}).get("open_drawer"):
                self.drawer_opened += 1
            request.update(status="DONE", jpkid=self.last_jpkid)
            if "drop" in self.faults:
                self.faults.discard("drop")
                self.drop_answer.add(rid)
        if self.hook is not None:
            self.hook("printed", rid)

    def _check_receipt(self, doc: dict):
        total = 0
        for item in doc.get("items", []):
            article = item.get("article")
            if article is None:
                return 1000, "Nieobsługiwana pozycja"
            ptu = article["ptu"]
            if self.rates.get(ptu) in (None, ""):
                return 1201, "Błąd stawki PTU: stawka nieaktywna"
            if self.names.get(article["name"].lower(), ptu) != ptu:
                return 1202, "Błąd stawki PTU: nazwa towaru zablokowana w innej stawce"
            gross = grosze(article["value"])
            if gross != grosze(Decimal(article["price"]) * Decimal(article["quantity"])):
                return 1203, "Błędna wartość pozycji"
            total += gross - grosze(article.get("discount_markup", {}).get("value", 0))
        summary = doc["summary"]
        if grosze(summary["total"]) != total:
            return 1300, "Błędna suma paragonu"
        paid = sum(grosze(value["value"]) for p in doc.get("payments", []) for value in p.values())
        if doc.get("payments") and (paid != grosze(summary["pay_in"])
                                    or paid - grosze(summary.get("change") or 0) != total):
            return 1301, "Błędne płatności"
        return None

    def _status(self, kind: str) -> dict:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if kind == "device":
            return {"device": {
                "name": "FAKE NOVITUS POINT", "version": "1.00", "characters_per_line": 48,
                "tax_rates": [{"name": letter, "value": value} for letter, value in self.rates.items()],
                "totals": [{"tax_rate": letter, "receipt": f"{Decimal(t).scaleb(-2):.2f}", "invoice": "0.00"}
                           for letter, t in sorted(self.totals.items())]}}
        if kind == "fiscal_memory":
            return {"fiscal_memory": {"unique_number": "ZBN1234567890", "tax_id": "5851234568", "size": 2000,
                                      "max_daily_reports": 1830, "daily_reports_count": len(self.daily_reports),
                                      "last_daily_report_date": now, "start_fiscal_date": now}}
        return {"protected_memory": {"number": 1, "label": "FAKE", "last_jpkid": str(self.last_jpkid),
                                     "size": 1_000_000, "free": 900_000}}

    # --- the REST side --------------------------------------------------------------------------

    def mint(self):
        with self._cond:
            if self.tokens_minted >= TOKENS_PER_HOUR:
                later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
                return 429, {"exception": {"allowed_refresh_date": later, "code": 2,
                                           "description": "Too many token requests"}}
            self.tokens_minted += 1
            self.token = uuid.uuid4().hex
            return 200, self._token_body()

    def _token_body(self):
        expires = (datetime.now(UTC) + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"token": self.token, "expiration_date": expires}

    @staticmethod
    def bad_json():
        return 400, {"exception": {"code": 7, "description": "JSON Parse Error"}}

    def today(self) -> date:
        return self.clock or datetime.now(ZoneInfo("Europe/Warsaw")).date()  # a Polish device's clock

    def handle(self, method: str, path: str, query: dict, body: dict | None, bearer: str | None):
        if "mute" in self.faults:
            deadline = time.monotonic() + 60
            while "mute" in self.faults and not self._stop.is_set() and time.monotonic() < deadline:
                time.sleep(0.05)
            return "drop", None
        parts = [p for p in path.split("/") if p]
        call = f"{method} {parts[2] if len(parts) > 2 else ''}"
        if self._drop(call, "before"):
            return "drop", None
        status, payload = self._handle(method, path, query, body, bearer)
        if self._drop(call, "after"):
            return "drop", None
        if self.slow:
            time.sleep(self.slow)
        return status, payload

    def _drop(self, call: str, when: str) -> bool:
        with self._cond:
            if (call, when) in self.drops:
                self.drops.remove((call, when))
                return True
        return self.call_hook is not None and self.call_hook(call, when) == "drop"

    def _handle(self, method: str, path: str, query: dict, body: dict | None, bearer: str | None):
        parts = [p for p in path.split("/") if p]
        if parts[:2] != ["api", "v1"]:
            return 404, {"exception": {"code": 1, "description": "Not found"}}
        parts = parts[2:]
        if not parts:
            return 200, {}
        if parts == ["token"]:
            if method == "GET":
                return self.mint()
            if method == "PATCH":
                if bearer != self.token:
                    return 401, {"exception": {"code": 4, "description": "Token incorrect"}}
                self.token = uuid.uuid4().hex
                return 200, self._token_body()
        if bearer is None or bearer != self.token:
            return 401, {"exception": {"code": 4, "description": "Token incorrect"}}
        if parts == ["queue"]:
            with self._cond:
                if method == "DELETE":
                    self.queue = [rid for rid in self.queue if self.requests[rid]["status"] == "PENDING"
                                  and self.device_error is None]
                    self._cond.notify_all()
                    return 200, {"status": "DELETED"}
                return 200, {"requests_in_queue": len(self.queue)}
        kind = parts[0]
        if kind not in KINDS:
            return 404, {"exception": {"code": 1, "description": "Not found"}}
        if len(parts) == 1 and method == "POST":
            doc = (body or {}).get(KINDS[kind])
            if not isinstance(doc, dict):
                return 400, {"exception": {"code": 8, "description": "JSON Validation Error",
                                           "errors": [f"{KINDS[kind]} : Required"]}}
            rid = uuid.uuid4().hex
            with self._cond:
                self.requests[rid] = {"kind": kind, "doc": doc, "status": "STORED"}
            return 201, {"request": {"status": "STORED", "id": rid}}
        if len(parts) != 2 or parts[1] not in self.requests:
            return 404, {"exception": {"code": 1, "description": "Not found"}}
        rid = parts[1]
        request = self.requests[rid]
        if method == "PUT":
            if request["status"] == "STORED":
                if self.hook is not None and self.hook("confirm", rid) == "drop":
                    return "drop", None
                with self._cond:
                    if request["kind"] == "status":  # reading the device needs no paper: answered at once
                        request.update(status="DONE", response={"status": self._status(request["doc"]["type"])})
                    else:
                        request["status"] = "QUEUED"
                        self.queue.append(rid)
                    self._cond.notify_all()
            return 200, {"request": {"status": "CONFIRMED", "id": rid}}
        if method == "DELETE":
            if request["status"] != "STORED":
                return 400, {"exception": {"code": 9, "description": "Deletion not allowed."}}
            del self.requests[rid]
            return 200, {"request": {"status": "DELETED"}}
        if method == "GET":
            wait = min(int(query.get("timeout", ["0"])[0] or 0), 5000) / 1000
            deadline = time.monotonic() + wait
            with self._cond:
                while request["status"] not in ("DONE", "ERROR") and time.monotonic() < deadline \
                        and self.device_error is None:
                    self._cond.wait(min(0.05, max(0.0, deadline - time.monotonic())))
                if rid in self.drop_answer:
                    self.drop_answer.discard(rid)
                    return "drop", None
                answer = {"status": request["status"], "id": rid}
                for key in ("jpkid", "response", "error"):
                    if key in request:
                        answer[key] = request[key]
                device = {"status": "OK"}
                if self.device_error is not None:
                    device = {"status": "ERROR", "error": {"code": self.device_error[0],
                                                           "description": self.device_error[1]}}
            return 200, {"device": device, "request": answer}
        return 405, {"exception": {"code": 1, "description": "Not found"}}
