"""A fake KSeF 2.0 API on 127.0.0.1, written from the ministry's API description (``CIRFMF/ksef-docs``:
authentication, interactive session, invoice verification) and answering as ``ksef-client`` expects.

What it does as KSeF does:
- ``GET /v2/security/public-key-certificates``: its own RSA certificate for both uses (token and key
  encryption);
- token sign-in: ``POST /auth/challenge`` → ``POST /auth/ksef-token`` (the token ``token|timestampMs``
  RSA-OAEP encrypted; a wrong token or a stale challenge ends in status 450) → ``GET /auth/{ref}`` →
  ``POST /auth/token/redeem`` (once) → a bearer access token;
- ``POST /sessions/online`` (the AES key RSA-OAEP encrypted), ``POST /sessions/online/{ref}/invoices``
  (AES-256-CBC content; hashes and sizes checked, the XML checked against the FA(3) XSD, the seller's NIP
  against the signed-in context), ``GET /sessions/{ref}/invoices[/{invoiceRef}]``, ``…/close``;
- an invoice is unique by seller NIP, ``RodzajFaktury`` and ``P_2``: a second one ends in status 440
  ("Duplikat faktury"); an accepted one gets a KSeF number ``NIP-YYYYMMDD-XXXXXXXXXXXX-CC`` (CRC-8).

Its failures (``faults``):
- ``refuse``: connections are refused until cleared;
- ``error``: every request answers 500 (KSeF's "internal error");
- ``hang``: the next invoice sent is held without an answer for ``hang_seconds`` (and not taken);
- ``drop``: the next invoice sent is taken, then the connection closes without an answer;
- ``twice``: the next invoice sent is taken and its status answered twice over (the list shows it once
  per ordinal, the same reference): a client must still record it once;
- ``reject``: the next invoice ends in status 450 (a semantic error) with a detail;
- ``slow``: invoices stay "processing" (code 150) for ``slow_polls`` status questions.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID
from lxml import etree

from tests import fake_http

NS = {"f": "http://crd.gov.pl/wzor/2025/06/25/13775/"}
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate():
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake KSeF")])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(_KEY.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=3650))
            .not_valid_after(now + timedelta(days=3650)).sign(_KEY, hashes.SHA256()))


_CERT = _certificate()


def crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _oaep(data: bytes) -> bytes:
    return _KEY.decrypt(data, asym.OAEP(mgf=asym.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))


def _sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _ref(kind: str) -> str:
    return f"{datetime.now(UTC):%Y%m%d}-{kind}-{secrets.token_hex(5).upper()}-{secrets.token_hex(5).upper()}-{secrets.token_hex(1).upper()}"


def _later(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


class FakeKsef(fake_http.Listening):
    def __init__(self, *, token: str = "TOKEN-LUKLUK", nip: str = "5851234568"):
        self.token, self.nip = token, nip
        self.faults: set[str] = set()
        self.hang_seconds = 3.0
        self.slow_polls = 0
        self.port = 0
        self._server = None
        self._lock = threading.Lock()
        self.challenges: dict[str, int] = {}
        self.auth: dict[str, dict] = {}  # reference → {"token": …, "ok": bool, "redeemed": bool}
        self.access_tokens: set[str] = set()
        self.sessions: dict[str, dict] = {}
        self.invoices: list[dict] = []  # every invoice taken, in order
        self.by_key: dict[tuple, dict] = {}  # (nip, kind, number) → the accepted invoice
        self.sends = 0  # invoice POSTs that reached the server (taken or not)
        #: Called once an invoice is taken and before its answer goes out (a test kills the sender here).
        self.on_taken = None
        self.sign_ins = 0

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

    # --- the API ---------------------------------------------------------------------------------

    @staticmethod
    def bad_json():
        return 400, {"title": "Nieprawidłowy JSON"}

    def handle(self, method: str, path: str, query: dict, body, bearer: str | None):
        if "error" in self.faults:
            return 500, {"exception": {"exceptionDetailList": [{"exceptionCode": 10000,
                                                                "exceptionDescription": "Błąd wewnętrzny"}]}}
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["v2"]:
            return 404, {"title": "Not found"}
        parts = parts[1:]
        if parts == ["security", "public-key-certificates"] and method == "GET":
            der = base64.b64encode(_CERT.public_bytes(serialization.Encoding.DER)).decode()
            return 200, [{"certificate": der, "validFrom": _later(-60 * 24), "validTo": _later(60 * 24 * 365),
                          "usage": ["KsefTokenEncryption", "SymmetricKeyEncryption"]}]
        if parts == ["auth", "challenge"] and method == "POST":
            challenge = f"{datetime.now(UTC):%Y%m%d}-CR-{secrets.token_hex(8).upper()}"
            stamp = int(time.time() * 1000)
            self.challenges[challenge] = stamp
            return 200, {"challenge": challenge, "timestamp": _later(0), "timestampMs": stamp, "clientIp": "127.0.0.1"}
        if parts == ["auth", "ksef-token"] and method == "POST":
            return self._token_auth(body or {})
        if len(parts) == 2 and parts[0] == "auth" and method == "GET":
            entry = self.auth.get(parts[1])
            if entry is None or bearer != entry["auth_token"]:
                return 401, {"title": "Unauthorized"}
            code, text = (200, "Uwierzytelnianie zakończone sukcesem") if entry["ok"] else (
                450, "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu")
            return 200, {"startDate": _later(0), "authenticationMethod": "Token",
                         "status": {"code": code, "description": text}}
        if parts == ["auth", "token", "redeem"] and method == "POST":
            entry = next((e for e in self.auth.values() if e["auth_token"] == bearer), None)
            if entry is None or not entry["ok"] or entry["redeemed"]:
                return 400, {"exception": {"exceptionDetailList": [{"exceptionCode": 21301,
                                                                    "exceptionDescription": "Brak autoryzacji"}]}}
            entry["redeemed"] = True
            access = secrets.token_urlsafe(24)
            self.access_tokens.add(access)
            return 200, {"accessToken": {"token": access, "validUntil": _later(15)},
                         "refreshToken": {"token": secrets.token_urlsafe(24), "validUntil": _later(60 * 24)}}
        if bearer not in self.access_tokens:
            return 401, {"title": "Unauthorized", "status": 401}
        if parts == ["sessions", "online"] and method == "POST":
            key = _oaep(base64.b64decode(body["encryption"]["encryptedSymmetricKey"]))
            iv = base64.b64decode(body["encryption"]["initializationVector"])
            form = body["formCode"]
            if (form["systemCode"], form["schemaVersion"], form["value"]) != ("FA (3)", "1-0E", "FA"):
                return 400, {"title": "Nieobsługiwany formularz"}
            ref = _ref("SO")
            self.sessions[ref] = {"key": key, "iv": iv, "open": True, "invoices": []}
            return 201, {"referenceNumber": ref, "validUntil": _later(12 * 60)}
        if len(parts) == 4 and parts[:2] == ["sessions", "online"] and parts[3] == "invoices" and method == "POST":
            return self._send(parts[2], body or {})
        if len(parts) == 4 and parts[:2] == ["sessions", "online"] and parts[3] == "close" and method == "POST":
            session = self.sessions.get(parts[2])
            if session is None:
                return 404, {"title": "Not found"}
            session["open"] = False
            return 204, None
        if len(parts) == 3 and parts[0] == "sessions" and parts[2] == "invoices" and method == "GET":
            session = self.sessions.get(parts[1])
            if session is None:
                return 404, {"title": "Not found"}
            return 200, {"invoices": [self._public(inv) for inv in session["invoices"]], "continuationToken": None}
        if len(parts) == 4 and parts[0] == "sessions" and parts[2] == "invoices" and method == "GET":
            session = self.sessions.get(parts[1])
            found = [inv for inv in (session or {}).get("invoices", []) if inv["referenceNumber"] == parts[3]]
            if not found:
                return 404, {"title": "Not found"}
            invoice = found[0]
            if invoice.get("polls_left", 0) > 0:
                invoice["polls_left"] -= 1
                return 200, dict(self._public(invoice), status={"code": 150, "description": "Trwa przetwarzanie"},
                                 ksefNumber=None)
            return 200, self._public(invoice)
        return 404, {"title": "Not found"}

    def _token_auth(self, body: dict):
        self.sign_ins += 1
        challenge = body.get("challenge")
        stamp = self.challenges.pop(challenge, None)
        context = body.get("contextIdentifier") or {}
        if stamp is None or context.get("type") != "Nip":
            return 400, {"exception": {"exceptionDetailList": [{"exceptionCode": 21001,
                                                                "exceptionDescription": "Nieprawidłowe wyzwanie"}]}}
        token, _, stamp_text = _oaep(base64.b64decode(body["encryptedToken"])).decode().rpartition("|")
        ok = token == self.token and stamp_text == str(stamp) and context.get("value") == self.nip
        ref = _ref("AU")
        self.auth[ref] = {"auth_token": secrets.token_urlsafe(24), "ok": ok, "redeemed": False}
        return 202, {"referenceNumber": ref, "authenticationToken": {"token": self.auth[ref]["auth_token"],
                                                                      "validUntil": _later(5)}}

    def _send(self, ref: str, body: dict):
        session = self.sessions.get(ref)
        if session is None or not session["open"]:
            return 400, {"exception": {"exceptionDetailList": [{"exceptionCode": 21180,
                                                                "exceptionDescription": "Sesja jest zamknięta"}]}}
        self.sends += 1
        if "hang" in self.faults:
            self.faults.discard("hang")
            time.sleep(self.hang_seconds)
            return "drop", None
        content = base64.b64decode(body["encryptedInvoiceContent"])
        if _sha(content) != body["encryptedInvoiceHash"] or len(content) != body["encryptedInvoiceSize"]:
            return 400, {"title": "Skrót zaszyfrowanej faktury się nie zgadza"}
        decryptor = Cipher(algorithms.AES(session["key"]), modes.CBC(session["iv"])).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        xml = unpadder.update(decryptor.update(content) + decryptor.finalize()) + unpadder.finalize()
        if _sha(xml) != body["invoiceHash"] or len(xml) != body["invoiceSize"]:
            return 400, {"title": "Skrót faktury się nie zgadza"}
        with self._lock:
            invoice = self._verify(xml, body)
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

    def _verify(self, xml: bytes, body: dict) -> dict:
        invoice = {"referenceNumber": _ref("EE"), "invoiceHash": body["invoiceHash"], "ordinalNumber": len(self.invoices) + 1,
                   "invoicingDate": _later(0), "offline": bool(body.get("offlineMode")), "xml": xml, "number": None,
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
        invoice["number"] = number
        if "reject" in self.faults:
            self.faults.discard("reject")
            invoice["status"] = {"code": 450, "description": "Błąd weryfikacji semantyki dokumentu faktury",
                                 "details": ["Nieprawidłowa wartość pola P_19A"]}
        elif nip != self.nip:
            invoice["status"] = {"code": 410, "description": "Nieprawidłowy zakres uprawnień",
                                 "details": [f"NIP {nip} nie jest kontekstem sesji"]}
        elif (nip, kind, number) in self.by_key:
            invoice["status"] = {"code": 440, "description": "Duplikat faktury",
                                 "details": [f"Faktura {number} jest już w KSeF: "
                                             f"{self.by_key[(nip, kind, number)]['ksefNumber']}"]}
        else:
            body_part = f"{nip}-{issued.replace('-', '')}-{secrets.token_hex(6).upper()}"
            invoice["ksefNumber"] = f"{body_part}-{crc8(body_part.encode()):02X}"
            invoice["status"] = {"code": 200, "description": "Sukces"}
            invoice["acquisitionDate"] = _later(0)
            self.by_key[(nip, kind, number)] = invoice
        return invoice

    @staticmethod
    def _public(invoice: dict) -> dict:
        return {key: invoice.get(key) for key in ("referenceNumber", "invoiceHash", "ordinalNumber", "invoicingDate",
                                                   "status", "ksefNumber", "acquisitionDate")} | {
            "invoiceNumber": invoice.get("number"), "invoicingMode": "Offline" if invoice["offline"] else "Online"}
