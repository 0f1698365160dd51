"""A fake KSeF 2.0 API on 127.0.0.1, written from the ministry's API description (``CIRFMF/ksef-docs``:
authentication, interactive session, session status and UPO, automatic offline mode, API limits) and
answering as ``ksef-client`` expects. It is as strict as that description in the places a till can get
wrong:

- ``GET /v2/security/public-key-certificates``: two certificates with their own keys, one for the KSeF
  token (``KsefTokenEncryption``) and one for the session key (``SymmetricKeyEncryption``); a token or key
  encrypted with the other one is refused;
- token sign-in: ``POST /auth/challenge`` → ``POST /auth/ksef-token`` (``token|timestampMs`` RSA-OAEP
  encrypted; a wrong token or a stale challenge ends in status 450) → ``GET /auth/{ref}`` answers 100
  "in progress" ``auth_polls`` times before 200 → ``POST /auth/token/redeem`` (once) → an access token
  (15 minutes) and a refresh token (7 days); ``POST /auth/token/refresh`` gives a new access token;
  ``revoke()`` invalidates every access token (a restart on KSeF's side), ``withdraw()`` the refresh
  tokens too (401 on everything until a new sign-in);
- ``POST /sessions/online`` opens a session for 12 hours; sending into a closed or expired session is
  refused (21180); ``GET /sessions`` lists the context's sessions (``sessionType``, ``statuses``
  ``InProgress``/``Succeeded``, paged); ``POST /sessions/online/{ref}/close`` closes it, after which ``GET /sessions/{ref}``
  lists the session's UPO pages; ``GET /sessions/{ref}/invoices`` is paged (``pageSize``,
  ``x-continuation-token``) and lags: an invoice is listed only after ``list_lag`` questions about the
  session's list (its status by its own reference is there at once);
- ``POST /sessions/online/{ref}/invoices``: AES-256-CBC content, hashes and sizes checked, at most
  ``max_invoice_bytes`` (413), the XML checked against the FA(3) XSD, the seller's NIP against the
  signed-in context, P_1 later than today refused (450), a correction's ``NrKSeFFaKorygowanej`` must be an
  invoice KSeF accepted (450), an invoice arriving on a later day than its P_1 marked
  ``invoicingMode: Offline`` by KSeF itself; an invoice is unique by seller NIP, ``RodzajFaktury`` and
  ``P_2``: a second one ends in status 440 ("Duplikat faktury");
- an accepted invoice gets a KSeF number ``NIP-YYYYMMDD-XXXXXXXXXXXX-CC`` (CRC-8) and its UPO
  (``…/invoices/{ref}/upo`` and ``…/invoices/ksef/{number}/upo``): an XML document as in the ministry's
  examples (``Potwierdzenie``, UPO v3-1), the same bytes on every download.

Its failures (``faults``; ``refuse`` and ``error`` stay until cleared, the others happen once):
- ``refuse``: connections are refused; ``error``: every request answers 500;
- ``hang``: the next invoice sent is held without an answer for ``hang_seconds`` (and not taken);
- ``drop``: the next invoice sent is taken, then the connection closes without an answer;
- ``twice``: the next invoice sent is taken and listed twice in its session;
- ``reject``: the next invoice ends in status 450 with a detail;
- ``slow``: invoices stay "processing" (code 150) for ``slow_polls`` status questions;
- ``throttle``: the next request that needs an access token answers 429 with ``Retry-After``;
- ``forget()``: every session is forgotten (the environment switched under the till): 404.

Where it is kinder than KSeF (a test can lie here): it never signs the UPO (XAdES), it does not enforce
the per-second and per-hour request limits except through ``throttle``, a session's UPO pages are built
only when asked, and its KSeF numbers' middle part is random rather than KSeF's own.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID
from lxml import etree

from tests import fake_http

NS = {"f": "http://crd.gov.pl/wzor/2025/06/25/13775/"}
WARSAW = ZoneInfo("Europe/Warsaw")
_TOKEN_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_SESSION_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(key, name_text):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name_text)])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=3650))
            .not_valid_after(now + timedelta(days=3650)).sign(key, hashes.SHA256()))


_TOKEN_CERT = _certificate(_TOKEN_KEY, "Fake KSeF token encryption")
_SESSION_CERT = _certificate(_SESSION_KEY, "Fake KSeF symmetric key encryption")


def crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _oaep(key, data: bytes) -> bytes | None:
    try:
        return key.decrypt(data, asym.OAEP(mgf=asym.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    except ValueError:
        return None


def _sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _ref(kind: str) -> str:
    return f"{datetime.now(UTC):%Y%m%d}-{kind}-{secrets.token_hex(5).upper()}-{secrets.token_hex(5).upper()}-{secrets.token_hex(1).upper()}"


def _at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _later(minutes: float) -> str:
    return _at(datetime.now(UTC) + timedelta(minutes=minutes))


def _problem(status: int, code: int, text: str, details=()):
    return status, {"exception": {"exceptionDetailList": [{"exceptionCode": code, "exceptionDescription": text,
                                                           "details": list(details)}]}}


class FakeKsef(fake_http.Listening):
    pass_headers = True

    def __init__(self, *, token: str = "TOKEN-LUKLUK", nip: str = "5851234568"):
        self.token, self.nip = token, nip
        self.faults: set[str] = set()
        self.hang_seconds = 3.0
        self.slow_polls = 0
        self.auth_polls = 1  #: "in progress" answers before a sign-in's status is 200
        self.list_lag = 0  #: questions about a session's list before a new invoice appears in it
        self.retry_after = 30  #: seconds in a 429's Retry-After
        self.max_invoice_bytes = 1_000_000
        #: The most entries a list page holds, whatever the client asked (KSeF may answer fewer: paging
        #: must follow the continuation token).
        self.page_cap = 1000
        self.port = 0
        self._server = None
        self._lock = threading.RLock()
        self.challenges: dict[str, int] = {}
        self.auth: dict[str, dict] = {}  # reference → {"auth_token", "ok", "redeemed", "polls"}
        self.access_tokens: dict[str, datetime] = {}  # token → valid until
        self.refresh_tokens: dict[str, datetime] = {}
        self.sessions: dict[str, dict] = {}
        self.invoices: list[dict] = []  # every invoice taken, in order
        self.by_key: dict[tuple, dict] = {}  # (nip, kind, number) → the accepted invoice
        self.sends = 0  # invoice POSTs that reached the server (taken or not)
        self.closed_sessions = 0
        self.upo_downloads = 0
        #: Called once an invoice is taken and before its answer goes out (a test kills the sender here).
        self.on_taken = None
        #: Called with (method, path) before any request is answered (a test kills the sender between calls).
        self.on_request = None
        self.sign_ins = 0
        self.environment = 0  #: which KSeF the invoices went to (``forget()`` is another one)
        self.refreshes = 0
        self.unauthorized = 0  # 401 answers given

    # --- running ---------------------------------------------------------------------------------

    def __enter__(self):
        self._listen()
        return self

    def __exit__(self, *exc):
        self._close()

    def accepted(self, number: str) -> list[dict]:
        """Every accepted invoice with this number (exactly-once means a list of one)."""
        return [inv for inv in self.invoices if inv["number"] == number and inv["status"]["code"] == 200]

    def taken(self, number: str) -> list[dict]:
        return [inv for inv in self.invoices if inv["number"] == number]

    def open_sessions(self) -> list[str]:
        return [ref for ref, session in self.sessions.items() if session["open"]]

    def revoke(self) -> None:
        """Every access token stops working (KSeF restarted, or invalidated them); refresh tokens still do."""
        with self._lock:
            self.access_tokens.clear()

    def withdraw(self) -> None:
        """Access and refresh tokens stop working: only a new sign-in helps."""
        with self._lock:
            self.access_tokens.clear()
            self.refresh_tokens.clear()

    def forget(self) -> None:
        """Every session and invoice is gone (the till was pointed at another environment): 404 for each."""
        with self._lock:
            self.sessions.clear()
            self.by_key.clear()
            self.environment += 1

    # --- the API ---------------------------------------------------------------------------------

    @staticmethod
    def bad_json():
        return 400, {"title": "Nieprawidłowy JSON"}

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)

    def _valid(self, tokens: dict, bearer: str | None) -> bool:
        until = tokens.get(bearer) if bearer else None
        return until is not None and self._now() < until

    def handle(self, method: str, path: str, query: dict, body, bearer: str | None, headers=None):
        if self.on_request is not None:
            self.on_request(method, path)
        if "error" in self.faults:
            return _problem(500, 10000, "Błąd wewnętrzny")
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["v2"]:
            return 404, {"title": "Not found"}
        parts = parts[1:]
        if parts == ["security", "public-key-certificates"] and method == "GET":
            def entry(cert, usage):
                return {"certificate": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
                        "validFrom": _later(-60 * 24), "validTo": _later(60 * 24 * 365), "usage": [usage]}
            return 200, [entry(_TOKEN_CERT, "KsefTokenEncryption"), entry(_SESSION_CERT, "SymmetricKeyEncryption")]
        if parts == ["auth", "challenge"] and method == "POST":
            challenge = f"{self._now():%Y%m%d}-CR-{secrets.token_hex(8).upper()}"
            stamp = int(time.time() * 1000)
            self.challenges[challenge] = stamp
            return 200, {"challenge": challenge, "timestamp": _later(0), "timestampMs": stamp, "clientIp": "127.0.0.1"}
        if parts == ["auth", "ksef-token"] and method == "POST":
            return self._token_auth(body or {})
        if parts == ["auth", "token", "refresh"] and method == "POST":
            if not self._valid(self.refresh_tokens, bearer):
                self.unauthorized += 1
                return 401, {"title": "Unauthorized", "status": 401}
            self.refreshes += 1
            access = secrets.token_urlsafe(24)
            self.access_tokens[access] = self._now() + timedelta(minutes=15)
            return 200, {"accessToken": {"token": access, "validUntil": _at(self.access_tokens[access])}}
        if len(parts) == 2 and parts[0] == "auth" and method == "GET":
            entry = self.auth.get(parts[1])
            if entry is None or bearer != entry["auth_token"]:
                return 401, {"title": "Unauthorized"}
            if entry["polls"] > 0:
                entry["polls"] -= 1
                code, text = 100, "Uwierzytelnianie w toku"
            else:
                code, text = (200, "Uwierzytelnianie zakończone sukcesem") if entry["ok"] else (
                    450, "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu")
            return 200, {"startDate": _later(0), "authenticationMethod": "Token",
                         "status": {"code": code, "description": text}}
        if parts == ["auth", "token", "redeem"] and method == "POST":
            entry = next((e for e in self.auth.values() if e["auth_token"] == bearer), None)
            if entry is None or not entry["ok"] or entry["redeemed"] or entry["polls"] > 0:
                return _problem(400, 21301, "Brak autoryzacji")
            entry["redeemed"] = True
            access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
            self.access_tokens[access] = self._now() + timedelta(minutes=15)
            self.refresh_tokens[refresh] = self._now() + timedelta(days=7)
            return 200, {"accessToken": {"token": access, "validUntil": _at(self.access_tokens[access])},
                         "refreshToken": {"token": refresh, "validUntil": _at(self.refresh_tokens[refresh])}}
        if not self._valid(self.access_tokens, bearer):
            self.unauthorized += 1
            return 401, {"title": "Unauthorized", "status": 401}
        if "throttle" in self.faults:
            self.faults.discard("throttle")
            return 429, fake_http.Raw(b'{"status":{"code":429,"description":"Too Many Requests"}}',
                                      headers={"Retry-After": self.retry_after})
        with self._lock:
            return self._session_api(method, parts, query, body or {}, headers or {})

    def _session_api(self, method, parts, query, body, headers):
        if parts == ["sessions", "online"] and method == "POST":
            key = _oaep(_SESSION_KEY, base64.b64decode(body["encryption"]["encryptedSymmetricKey"]))
            if key is None or len(key) != 32:
                return _problem(400, 21401, "Nie można odszyfrować klucza symetrycznego")
            iv = base64.b64decode(body["encryption"]["initializationVector"])
            form = body["formCode"]
            if (form["systemCode"], form["schemaVersion"], form["value"]) != ("FA (3)", "1-0E", "FA"):
                return _problem(400, 21402, "Nieobsługiwany formularz")
            ref = _ref("SO")
            self.sessions[ref] = {"key": key, "iv": iv, "open": True, "invoices": [], "list_questions": 0,
                                  "valid_until": self._now() + timedelta(hours=12), "opened": self._now()}
            return 201, {"referenceNumber": ref, "validUntil": _at(self.sessions[ref]["valid_until"])}
        if len(parts) == 4 and parts[:2] == ["sessions", "online"] and parts[3] == "invoices" and method == "POST":
            return self._send(parts[2], body)
        if len(parts) == 4 and parts[:2] == ["sessions", "online"] and parts[3] == "close" and method == "POST":
            session = self.sessions.get(parts[2])
            if session is None:
                return 404, {"title": "Not found"}
            if not session["open"]:
                return _problem(400, 21180, "Sesja jest zamknięta")
            session["open"] = False
            self.closed_sessions += 1
            return 204, None
        if parts == ["sessions"] and method == "GET":  # the context's sessions, filtered and paged
            if (query.get("sessionType") or [""])[0] != "Online":
                return 200, {"sessions": [], "continuationToken": None}
            wanted = set(query.get("statuses") or [])
            rows = [(ref, sess) for ref, sess in self.sessions.items()
                    if not wanted or ("InProgress" if self._open(sess) else "Succeeded") in wanted]
            size = max(10, min(1000, int((query.get("pageSize") or ["10"])[0])))
            start = int(headers.get("x-continuation-token") or 0)
            page = rows[start:start + size]
            return 200, {"sessions": [{
                "referenceNumber": ref, "dateCreated": _at(sess["opened"]), "dateUpdated": _at(sess["opened"]),
                "validUntil": _at(sess["valid_until"]),
                "status": {"code": 100 if self._open(sess) else 200, "description": "Sesja"},
                "totalInvoiceCount": len(sess["invoices"]),
                "successfulInvoiceCount": sum(inv["status"]["code"] == 200 for inv in sess["invoices"]),
                "failedInvoiceCount": sum(inv["status"]["code"] != 200 for inv in sess["invoices"])} for ref, sess in page],
                "continuationToken": str(start + size) if start + size < len(rows) else None}
        session = self.sessions.get(parts[1]) if len(parts) >= 2 and parts[0] == "sessions" else None
        if parts[:1] == ["sessions"] and len(parts) >= 2 and method == "GET" and session is None:
            return 404, {"title": "Not found"}
        if len(parts) == 2 and method == "GET":
            accepted = [inv for inv in session["invoices"] if inv["status"]["code"] == 200]
            answer = {"status": {"code": 100 if self._open(session) else 200,
                                 "description": "Sesja otwarta" if self._open(session) else "Sesja przetworzona"},
                      "invoiceCount": len(session["invoices"]), "successfulInvoiceCount": len(accepted),
                      "failedInvoiceCount": len(session["invoices"]) - len(accepted), "dateCreated": _at(session["opened"]),
                      "validUntil": _at(session["valid_until"])}
            if not self._open(session):
                answer["upo"] = {"pages": [{"referenceNumber": f"{parts[1]}-UPO-1",
                                            "downloadUrl": f"/v2/sessions/{parts[1]}/upo/{parts[1]}-UPO-1"}]}
            return 200, answer
        if len(parts) == 3 and parts[2] == "invoices" and method == "GET":
            session["list_questions"] += 1
            listed = [inv for inv in session["invoices"] if session["list_questions"] > inv["hidden_for"]]
            size = min(self.page_cap, max(10, min(1000, int((query.get("pageSize") or ["10"])[0]))))
            start = int(headers.get("x-continuation-token") or 0)
            page = listed[start:start + size]
            more = start + size < len(listed)
            return 200, {"invoices": [self._public(inv) for inv in page],
                         "continuationToken": str(start + size) if more else None}
        if len(parts) == 4 and parts[2] == "invoices" and method == "GET":
            found = [inv for inv in session["invoices"] if inv["referenceNumber"] == parts[3]]
            if not found:
                return 404, {"title": "Not found"}
            invoice = found[0]
            if invoice.get("polls_left", 0) > 0:
                invoice["polls_left"] -= 1
                return 200, dict(self._public(invoice), status={"code": 150, "description": "Trwa przetwarzanie"},
                                 ksefNumber=None)
            return 200, self._public(invoice)
        if len(parts) == 5 and parts[2] == "invoices" and parts[4] == "upo" and method == "GET":
            return self._upo(session, lambda inv: inv["referenceNumber"] == parts[3])
        if len(parts) == 6 and parts[2] == "invoices" and parts[3] == "ksef" and parts[5] == "upo" and method == "GET":
            return self._upo(session, lambda inv: inv.get("ksefNumber") == parts[4])
        return 404, {"title": "Not found"}

    def _open(self, session) -> bool:
        return session["open"] and self._now() < session["valid_until"]

    def _upo(self, session, match):
        found = [inv for inv in session["invoices"] if match(inv) and inv["status"]["code"] == 200
                 and inv.get("polls_left", 0) <= 0]
        if not found:
            return 404, {"title": "Not found"}
        self.upo_downloads += 1
        return 200, fake_http.Raw(found[0]["upo"], "application/xml")

    def _token_auth(self, body: dict):
        self.sign_ins += 1
        challenge = body.get("challenge")
        stamp = self.challenges.pop(challenge, None)
        context = body.get("contextIdentifier") or {}
        if stamp is None or context.get("type") != "Nip":
            return _problem(400, 21001, "Nieprawidłowe wyzwanie")
        plain = _oaep(_TOKEN_KEY, base64.b64decode(body["encryptedToken"]))
        if plain is None:
            return _problem(400, 21110, "Nie można odszyfrować tokenu")
        token, _, stamp_text = plain.decode().rpartition("|")
        ok = token == self.token and stamp_text == str(stamp) and context.get("value") == self.nip
        ref = _ref("AU")
        self.auth[ref] = {"auth_token": secrets.token_urlsafe(24), "ok": ok, "redeemed": False, "polls": self.auth_polls}
        return 202, {"referenceNumber": ref, "authenticationToken": {"token": self.auth[ref]["auth_token"],
                                                                      "validUntil": _later(5)}}

    def _send(self, ref: str, body: dict):
        session = self.sessions.get(ref)
        if session is None:
            return 404, {"title": "Not found"}
        if not self._open(session):
            return _problem(400, 21180, "Sesja jest zamknięta")
        self.sends += 1
        if "hang" in self.faults:
            self.faults.discard("hang")
            time.sleep(self.hang_seconds)
            return "drop", None
        if body.get("invoiceSize", 0) > self.max_invoice_bytes:
            return _problem(413, 21405, "Przekroczony dopuszczalny rozmiar faktury")
        content = base64.b64decode(body["encryptedInvoiceContent"])
        if _sha(content) != body["encryptedInvoiceHash"] or len(content) != body["encryptedInvoiceSize"]:
            return _problem(400, 21406, "Skrót zaszyfrowanej faktury się nie zgadza")
        decryptor = Cipher(algorithms.AES(session["key"]), modes.CBC(session["iv"])).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        xml = unpadder.update(decryptor.update(content) + decryptor.finalize()) + unpadder.finalize()
        if _sha(xml) != body["invoiceHash"] or len(xml) != body["invoiceSize"]:
            return _problem(400, 21407, "Skrót faktury się nie zgadza")
        invoice = self._verify(xml, body, ref)
        session["invoices"].append(invoice)
        self.invoices.append(invoice)
        if self.on_taken is not None:
            self.on_taken(invoice)
        if "drop" in self.faults:
            self.faults.discard("drop")
            return "drop", None
        if "twice" in self.faults:
            self.faults.discard("twice")
            session["invoices"].append(dict(invoice))  # the same invoice listed twice
        return 202, {"referenceNumber": invoice["referenceNumber"]}

    def _verify(self, xml: bytes, body: dict, session_ref: str) -> dict:
        now = self._now()
        invoice = {"referenceNumber": _ref("EE"), "invoiceHash": body["invoiceHash"], "ordinalNumber": len(self.invoices) + 1,
                   "invoicingDate": _at(now), "offline": bool(body.get("offlineMode")), "xml": xml, "number": None,
                   "session": session_ref, "hidden_for": self.list_lag, "env": self.environment,
                   "polls_left": self.slow_polls if "slow" in self.faults else 0}
        try:
            from ksef_client.documents.fa3.xml import validate_fa3_xml_xsd

            validate_fa3_xml_xsd(xml)
            doc = etree.fromstring(xml)
        except Exception as exc:  # noqa: BLE001 — any fault of the document is KSeF's status 450
            invoice["status"] = {"code": 450, "description": "Błąd weryfikacji semantyki dokumentu faktury",
                                 "details": [str(exc)[:300]]}
            return invoice
        nip = doc.findtext("f:Podmiot1/f:DaneIdentyfikacyjne/f:NIP", namespaces=NS)
        kind = doc.findtext("f:Fa/f:RodzajFaktury", namespaces=NS)
        number = doc.findtext("f:Fa/f:P_2", namespaces=NS)
        issued = doc.findtext("f:Fa/f:P_1", namespaces=NS)
        corrected = doc.findtext("f:Fa/f:DaneFaKorygowanej/f:NrKSeFFaKorygowanej", namespaces=NS)
        invoice["number"] = number
        today = now.astimezone(WARSAW).date().isoformat()
        if issued < today:  # arrived on a later day than its P_1: KSeF marks it offline itself
            invoice["offline"] = True
        known = {inv.get("ksefNumber") for inv in self.by_key.values()}
        if "reject" in self.faults:
            self.faults.discard("reject")
            invoice["status"] = {"code": 450, "description": "Błąd weryfikacji semantyki dokumentu faktury",
                                 "details": ["Nieprawidłowa wartość pola P_19A"]}
        elif nip != self.nip:
            invoice["status"] = {"code": 410, "description": "Nieprawidłowy zakres uprawnień",
                                 "details": [f"NIP {nip} nie jest kontekstem sesji"]}
        elif issued > today:
            invoice["status"] = {"code": 450, "description": "Błąd weryfikacji semantyki dokumentu faktury",
                                 "details": [f"Data wystawienia {issued} jest późniejsza niż data przyjęcia {today}"]}
        elif corrected is not None and corrected not in known:
            invoice["status"] = {"code": 450, "description": "Błąd weryfikacji semantyki dokumentu faktury",
                                 "details": [f"Faktura korygowana {corrected} nie istnieje w KSeF"]}
        elif (nip, kind, number) in self.by_key:
            invoice["status"] = {"code": 440, "description": "Duplikat faktury",
                                 "details": [f"Faktura {number} jest już w KSeF"]}
        else:
            body_part = f"{nip}-{issued.replace('-', '')}-{secrets.token_hex(6).upper()}"
            invoice["ksefNumber"] = f"{body_part}-{crc8(body_part.encode()):02X}"
            invoice["status"] = {"code": 200, "description": "Sukces"}
            invoice["acquisitionDate"] = _at(now)
            invoice["upo"] = self._upo_document(invoice, session_ref, issued)
            self.by_key[(nip, kind, number)] = invoice
        return invoice

    def _upo_document(self, invoice: dict, session_ref: str, issued: str) -> bytes:
        ns = "http://upo.schematy.mf.gov.pl/KSeF/v3-1"
        root = etree.Element(f"{{{ns}}}Potwierdzenie", nsmap={None: ns})

        def el(parent, name, text=None):
            node = etree.SubElement(parent, f"{{{ns}}}{name}")
            node.text = text
            return node
        el(root, "NazwaPodmiotuPrzyjmujacego", "Ministerstwo Finansów")
        el(root, "NumerReferencyjnySesji", session_ref)
        auth = el(root, "Uwierzytelnienie")
        el(el(auth, "IdKontekstu"), "Nip", self.nip)
        el(root, "NazwaStrukturyLogicznej", "1-0E")
        el(root, "KodFormularza", "FA (3)")
        doc = el(root, "Dokument")
        el(doc, "NipSprzedawcy", self.nip)
        el(doc, "NumerKSeFDokumentu", invoice["ksefNumber"])
        el(doc, "NumerFaktury", invoice["number"])
        el(doc, "DataWystawieniaFaktury", issued)
        el(doc, "DataNadaniaNumeruKSeF", invoice["acquisitionDate"])
        el(doc, "SkrotDokumentu", invoice["invoiceHash"])
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")

    @staticmethod
    def _public(invoice: dict) -> dict:
        answer = {key: invoice.get(key) for key in ("referenceNumber", "invoiceHash", "ordinalNumber", "invoicingDate",
                                                     "status", "ksefNumber", "acquisitionDate")}
        return answer | {"invoiceNumber": invoice.get("number"),
                         "invoicingMode": "Offline" if invoice["offline"] else "Online"}
