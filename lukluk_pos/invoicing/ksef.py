"""Sending invoices to KSeF: a queue worked like the print queue — stored first, sent by a worker,
retried, never lost, never sent twice.

The rule that keeps an invoice from being sent twice: the online session is written on the invoice
(and committed) before the invoice is sent, and the answer's reference after. An invoice found
"sending" — a crash, a lost answer, a hang — is never sent again blind: the sessions it was tried in
are asked for an invoice with its hash first; only when every one of them answers "not here" does it
go back to the queue. KSeF itself refuses a second invoice with the same seller, kind and number
(status 440); that answer is read as "already in KSeF" only when one of our own sessions holds it.

When KSeF cannot be reached the invoice is already issued: it becomes an offline24 invoice (both QR
codes on the document, ``send_by`` the next business day) and is sent with ``offlineMode`` when KSeF
answers again.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select, update

from ..core import audit
from ..core.db import set_read_only
from ..core.models import Shop, utcnow
from ..core.worker import QueueWorker
from ..extensions import db
from . import service
from .models import Invoice, KsefStatus

log = logging.getLogger(__name__)

#: Seconds between tries after a failure, doubling up to this.
MAX_BACKOFF_SECONDS = 300
#: How soon a sent invoice's verification is asked about again.
STATUS_POLL_SECONDS = 2
FORM_CODE = ("FA (3)", "1-0E", "FA")


class KsefTrouble(Exception):
    """KSeF could not be reached, or refused a step: the text is for the manager's list."""


def _address(config, setting: str, addresses) -> str | None:
    """This machine's setting if it has one, else the address of the admin's environment (None: off)."""
    url = current_app.config.get(setting)
    if url:
        return url
    if config.ksef_environment in ("test", "demo", "prod"):
        return addresses[config.ksef_environment.upper()].value
    return None


def base_url(config) -> str | None:
    """Where invoices go: LUKLUK_KSEF_URL if the machine sets it, else the admin's environment."""
    from ksef_client import KsefEnvironment

    return _address(config, "KSEF_URL", KsefEnvironment)


def qr_base(config) -> str | None:
    """The address KOD I and KOD II point to (the ministry's verification page of the environment)."""
    from ksef_client.config import KsefQrEnvironment

    return _address(config, "KSEF_QR_URL", KsefQrEnvironment)


def _describe(exc: Exception) -> str:
    from ksef_client import KsefApiError, KsefHttpError

    if isinstance(exc, KsefApiError):
        return f"KSeF: {exc}"[:1000]
    if isinstance(exc, KsefHttpError):
        return f"KSeF nie odpowiada: {exc}"[:1000]
    return f"KSeF: {exc}"[:1000]


@dataclass
class _Session:
    reference: str
    encryption: object
    valid_until: datetime


class Connection:
    """One signed-in KSeF client with an open online session, kept while valid (per process)."""

    def __init__(self, url: str, token: str, nip: str, timeout: float):
        from ksef_client import KsefClient, KsefClientOptions

        self.key = (url, token, nip)
        self.nip, self.token = nip, token
        self.client = KsefClient(KsefClientOptions(base_url=url, timeout_seconds=timeout))
        self.access_token: str | None = None
        self.access_until = datetime.min.replace(tzinfo=timezone.utc)
        self.session: _Session | None = None

    def _certificate(self, usage: str) -> str:
        return self.client.security.get_public_key_certificate_pem(usage)

    def access(self) -> str:
        from ksef_client.services.workflows import AuthCoordinator

        if self.access_token and datetime.now(timezone.utc) < self.access_until - timedelta(seconds=60):
            return self.access_token
        if not self.token:
            raise KsefTrouble("Brak tokenu KSeF: administrator wpisuje go w ustawieniach faktur.")
        try:
            result = AuthCoordinator(self.client.auth).authenticate_with_ksef_token(
                token=self.token, public_certificate=self._certificate("KsefTokenEncryption"),
                context_identifier_type="Nip", context_identifier_value=self.nip,
                poll_interval_seconds=0.5, max_attempts=20)
        except RuntimeError as exc:  # the status said no: a wrong or withdrawn token
            raise KsefTrouble(f"KSeF nie przyjął tokenu: {exc}") from exc
        self.access_token = result.access_token
        self.access_until = _parse(result.tokens.access_token.valid_until)
        return self.access_token

    def session_reference(self) -> str:
        from ksef_client.models import FormCode
        from ksef_client.services.workflows import OnlineSessionWorkflow

        token = self.access()
        if self.session and datetime.now(timezone.utc) < self.session.valid_until - timedelta(minutes=10):
            return self.session.reference
        handle = OnlineSessionWorkflow(self.client.sessions).open_session(
            form_code=FormCode(system_code=FORM_CODE[0], schema_version=FORM_CODE[1], value=FORM_CODE[2]),
            public_certificate=self._certificate("SymmetricKeyEncryption"), access_token=token)
        self.session = _Session(handle.reference_number, handle.encryption_data, _parse(handle.valid_until))
        return self.session.reference

    def send(self, xml: bytes, *, offline: bool) -> str:
        from ksef_client.services.workflows import OnlineSessionWorkflow

        response = OnlineSessionWorkflow(self.client.sessions).send_invoice(
            session_reference_number=self.session.reference, invoice_xml=xml,
            encryption_data=self.session.encryption, access_token=self.access(), offline_mode=offline or None)
        return response.reference_number

    def find(self, session_reference: str, invoice_hash: str):
        """The invoice with this hash in a session (None when the session does not hold it)."""
        token, continuation = self.access(), None
        while True:
            page = self.client.sessions.get_session_invoices(session_reference, page_size=100,
                                                             continuation_token=continuation, access_token=token)
            for invoice in page.invoices:
                if invoice.invoice_hash == invoice_hash:
                    return invoice
            continuation = page.continuation_token
            if not continuation:
                return None

    def status(self, session_reference: str, reference: str):
        return self.client.sessions.get_session_invoice_status(session_reference, reference,
                                                               access_token=self.access())

    def forget_session(self) -> None:
        self.session = None


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


_connections: dict[tuple, Connection] = {}
_connections_lock = threading.Lock()


def close_connections() -> None:
    """Forget every connection and close its HTTP client (settings changed; a test's server went)."""
    with _connections_lock:
        for conn in _connections.values():
            conn.client.close()
        _connections.clear()


def connection() -> Connection | None:
    """The process's connection for the current settings (None when KSeF is off)."""
    config = service.settings()
    url = base_url(config)
    if url is None:
        return None
    shop = db.session.scalar(select(Shop).limit(1))
    key = (url, config.ksef_token, shop.nip)
    with _connections_lock:
        conn = _connections.get(key)
        if conn is None:
            conn = _connections[key] = Connection(url, config.ksef_token, shop.nip,
                                                  current_app.config.get("KSEF_TIMEOUT", 20.0))
    return conn


# --- the queue -----------------------------------------------------------------------------------

def _backoff(invoice: Invoice) -> None:
    invoice.ksef_attempts += 1
    invoice.ksef_next_attempt_at = utcnow() + timedelta(seconds=min(2 ** invoice.ksef_attempts, MAX_BACKOFF_SECONDS))


def _no_answer(invoice_id: int, exc: Exception) -> None:
    """KSeF did not answer a question about an invoice: keep the reason, ask again after the back-off."""
    invoice = db.session.get(Invoice, invoice_id)
    invoice.ksef_error = _describe(exc)
    _backoff(invoice)
    db.session.commit()


def _go_offline(invoice: Invoice) -> None:
    """KSeF did not take the invoice at issue: it is an offline24 invoice from now on."""
    if not invoice.offline:
        invoice.offline = True
        invoice.send_by = service.next_business_day(invoice.issue_date)
        audit.record("invoice.offline", user_id=None, obj=invoice, number=invoice.number,
                     send_by=invoice.send_by.isoformat())


def process_due(*, limit: int = 20) -> int:
    """Send what is queued and ask about what was sent; returns how many invoices moved on."""
    conn = connection()
    db.session.rollback()
    if conn is None:
        return 0
    moved = 0
    for _ in range(limit):
        set_read_only(True)
        due = db.session.execute(select(Invoice.id, Invoice.ksef_status).where(
            Invoice.ksef_status.in_([KsefStatus.QUEUED, KsefStatus.SENT, KsefStatus.SENDING]),
            Invoice.ksef_next_attempt_at <= utcnow()).order_by(Invoice.ksef_next_attempt_at, Invoice.id).limit(1)).first()
        db.session.rollback()
        set_read_only(False)
        if due is None:
            break
        invoice_id, status = due
        if status is KsefStatus.QUEUED:
            claimed = db.session.execute(update(Invoice).where(
                Invoice.id == invoice_id, Invoice.ksef_status == KsefStatus.QUEUED).values(
                ksef_status=KsefStatus.SENDING)).rowcount
            db.session.commit()
            if claimed != 1:
                continue
            ok = _send(conn, invoice_id)
        elif status is KsefStatus.SENDING:
            ok = resolve(conn, invoice_id)
        else:
            ok = _check(conn, invoice_id)
        moved += 1
        if not ok:
            break  # KSeF is not answering: the rest waits for the next round
    return moved


def _send(conn: Connection, invoice_id: int) -> bool:
    invoice = db.session.get(Invoice, invoice_id)
    xml, offline = invoice.xml.encode("utf-8"), invoice.offline
    db.session.rollback()
    try:
        session_reference = conn.session_reference()
    except Exception as exc:  # noqa: BLE001 — nothing was sent: back to the queue, offline from now on
        conn.forget_session()
        invoice = db.session.get(Invoice, invoice_id)
        invoice.ksef_status, invoice.ksef_error = KsefStatus.QUEUED, _describe(exc)
        _backoff(invoice)
        _go_offline(invoice)
        db.session.commit()
        log.warning("KSeF: invoice %s not sent: %s", invoice_id, exc)
        return False
    invoice = db.session.get(Invoice, invoice_id)
    invoice.ksef_session = session_reference
    invoice.ksef_sessions = [*invoice.ksef_sessions, session_reference]
    db.session.commit()  # the session is on record before KSeF can take the invoice
    try:
        reference = conn.send(xml, offline=offline)
    except Exception as exc:  # noqa: BLE001 — KSeF may have taken it: ask before anything else
        conn.forget_session()
        invoice = db.session.get(Invoice, invoice_id)
        invoice.ksef_error = _describe(exc)
        _backoff(invoice)
        _go_offline(invoice)
        db.session.commit()
        log.warning("KSeF: no answer for invoice %s: %s", invoice_id, exc)
        resolve(conn, invoice_id)
        return False
    invoice = db.session.get(Invoice, invoice_id)
    invoice.ksef_reference, invoice.ksef_status = reference, KsefStatus.SENT
    invoice.ksef_sent_at, invoice.ksef_error = utcnow(), ""
    invoice.ksef_next_attempt_at = utcnow() + timedelta(seconds=1)
    db.session.commit()
    return True


def resolve(conn: Connection, invoice_id: int) -> bool:
    """An invoice left "sending": did any of its sessions take it? Sent if so, queued again if every
    session says no, left as it is (asked again later) if KSeF does not answer."""
    invoice = db.session.get(Invoice, invoice_id)
    sessions, invoice_hash = list(invoice.ksef_sessions), invoice.xml_sha256
    db.session.rollback()
    found = None
    try:
        for session_reference in reversed(sessions):
            found = conn.find(session_reference, invoice_hash)
            if found is not None:
                break
    except Exception as exc:  # noqa: BLE001
        _no_answer(invoice_id, exc)
        return False
    invoice = db.session.get(Invoice, invoice_id)
    if found is not None:
        invoice.ksef_reference, invoice.ksef_session = found.reference_number, session_reference
        invoice.ksef_status, invoice.ksef_sent_at = KsefStatus.SENT, invoice.ksef_sent_at or utcnow()
        invoice.ksef_next_attempt_at = utcnow()
        audit.record("invoice.ksef_found", user_id=None, obj=invoice, number=invoice.number,
                     reference=found.reference_number)
    else:
        invoice.ksef_status = KsefStatus.QUEUED
    db.session.commit()
    return True


def _check(conn: Connection, invoice_id: int) -> bool:
    """Ask KSeF how the verification of a sent invoice ended."""
    from ksef_client.utils.ksef_number import validate_ksef_number

    invoice = db.session.get(Invoice, invoice_id)
    session_reference, reference = invoice.ksef_session, invoice.ksef_reference
    db.session.rollback()
    try:
        answer = conn.status(session_reference, reference)
    except Exception as exc:  # noqa: BLE001
        _no_answer(invoice_id, exc)
        return False
    invoice = db.session.get(Invoice, invoice_id)
    code = answer.status.code
    detail = "; ".join(answer.status.details or [])
    if code == 200 and answer.ksef_number and validate_ksef_number(answer.ksef_number).is_valid:
        invoice.ksef_status, invoice.ksef_number = KsefStatus.ACCEPTED, answer.ksef_number
        invoice.ksef_accepted_at, invoice.ksef_error = utcnow(), ""
        audit.record("invoice.ksef_accepted", user_id=None, obj=invoice, number=invoice.number,
                     ksef_number=answer.ksef_number)
        service.release_waiting(invoice)
    elif code < 200:  # still being verified
        invoice.ksef_next_attempt_at = utcnow() + timedelta(seconds=STATUS_POLL_SECONDS)
    else:
        invoice.ksef_status = KsefStatus.REJECTED
        invoice.ksef_error = f"{code} {answer.status.description}" + (f": {detail}" if detail else "")
        audit.record("invoice.ksef_rejected", user_id=None, obj=invoice, number=invoice.number, code=code,
                     reason=invoice.ksef_error)
    db.session.commit()
    return True


def recover() -> int:
    """At the worker's start: invoices left "sending" by a crash are resolved before anything is sent."""
    conn = connection()
    ids = list(db.session.scalars(select(Invoice.id).where(Invoice.ksef_status == KsefStatus.SENDING)))
    db.session.rollback()
    if conn is None:
        return 0
    for invoice_id in ids:
        resolve(conn, invoice_id)
    return len(ids)


def send_again(invoice: Invoice, *, user_id: int) -> None:
    """The manager sends a rejected invoice's queue entry again at once (after fixing the cause in KSeF)."""
    if invoice.ksef_status in (KsefStatus.QUEUED, KsefStatus.REJECTED):
        invoice.ksef_status, invoice.ksef_next_attempt_at, invoice.ksef_attempts = KsefStatus.QUEUED, utcnow(), 0
        audit.record("invoice.ksef_retry", user_id=user_id, obj=invoice, number=invoice.number)


class KsefWorker(QueueWorker):
    """Works the KSeF queue beside the web server (every 2 s), never inside a web request."""

    label = "lukluk-ksef-worker"

    def __init__(self, app, *, interval: float = 2.0):
        super().__init__(app, interval=interval)

    def recover(self) -> None:
        recover()

    def step(self) -> None:
        process_due()
