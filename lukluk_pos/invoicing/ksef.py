"""Sending invoices to KSeF: a queue worked like the print queue — stored first, sent by a worker,
retried, never lost, never sent twice — and the whole life of KSeF's online sessions around it.

The rule that keeps an invoice from being sent twice: the online session is written on the invoice
(and committed) before the invoice is sent, and the answer's reference after. An invoice found
"sending" — a crash, a lost answer, a hang — is never sent again blind: the sessions it was tried in
are asked for an invoice with its hash first; only when every one of them answers "not here" (or no
longer exists: 404) does it go back to the queue. A session's list lags behind its invoices, so "not
here" can be wrong: the resend then ends in KSeF's 440 "Duplikat faktury", and the invoice is looked up
by its hash in our own sessions and recorded with the KSeF number found there. A 440 whose invoice is in
none of our sessions (another program sent that number) is a rejection, after a few tries.

What KSeF answers decides what happens (``Unreachable`` or ``Refused``):
- no answer, a timeout, 5xx: KSeF cannot be reached. An invoice not yet taken becomes an offline24
  invoice (both QR codes on the document, ``send_by`` the next business day) and is sent with
  ``offlineMode`` when KSeF answers again;
- 401: the access token is refreshed (or the shop signs in again with its KSeF token) once, and the call
  repeated; a 401 after that, 400, 403, 413 and 429 are our side's to fix: the invoice stays in the queue
  with the reason shown to the manager (a 429 waits for its ``Retry-After``), and is not made offline24.

Sessions: each is recorded (``KsefSession``) when opened, closed when the queue has nothing left to send
or before its 12 hours run out (a new one is opened for what comes next), by whichever process finds it
open. After acceptance the invoice's UPO is downloaded and kept byte for byte with its hash.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import or_, select, update

from ..core import audit
from ..core.db import set_read_only
from ..core.models import Shop, utcnow
from ..core.worker import QueueWorker
from ..extensions import db
from . import service
from .models import Invoice, KsefSession, KsefStatus

log = logging.getLogger(__name__)

#: Seconds between tries after a failure, doubling up to this.
MAX_BACKOFF_SECONDS = 300
#: How soon a sent invoice's verification is asked about again.
STATUS_POLL_SECONDS = 2
FORM_CODE = ("FA (3)", "1-0E", "FA")
#: A session is closed, and a new one opened, this long before KSeF would end it (12 hours).
SESSION_MARGIN = timedelta(minutes=30)
#: A 440 whose invoice none of our sessions lists yet is looked up this many times (its own back-off: about
#: 15 minutes in all, far longer than a session list lags) before it is a rejection.
DUPLICATE_LOOKUPS = 10


class KsefTrouble(Exception):
    """KSeF could not be reached, or refused a step: the text is for the manager's list."""

    retry_after: int | None = None


class Unreachable(KsefTrouble):
    """No answer, a timeout or a server error: KSeF cannot be reached (offline24 for a new invoice)."""


class Refused(KsefTrouble):
    """A 4xx that is our side's to fix (or to wait out): the invoice stays queued with the reason."""

    def __init__(self, text: str, *, status: int = 0, retry_after: int | None = None):
        super().__init__(text)
        self.status, self.retry_after = status, retry_after


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
    from ksef_client import KsefHttpError

    if isinstance(exc, KsefTrouble):
        return str(exc)[:1000]
    if isinstance(exc, KsefHttpError):
        if not exc.status_code:
            return f"KSeF nie odpowiada: {exc.message}"[:1000]
        problem = _problem_text(exc)
        return f"KSeF {exc.status_code}: {problem or exc.message}"[:1000]
    return f"KSeF: {exc}"[:1000]


def _problem_text(exc) -> str:
    body = exc.response_body if isinstance(exc.response_body, dict) else {}
    details = (body.get("exception") or {}).get("exceptionDetailList") or []
    texts = [str(d.get("exceptionDescription") or "") for d in details if isinstance(d, dict)]
    return "; ".join(t for t in texts if t) or str(body.get("title") or "")


def trouble(exc: Exception) -> KsefTrouble:
    """What a failed call means for the queue: KSeF unreachable, or a refusal that is ours to fix."""
    from ksef_client import KsefHttpError

    if isinstance(exc, KsefTrouble):
        return exc
    if isinstance(exc, KsefHttpError):
        code = exc.status_code
        if not code or code >= 500:
            return Unreachable(_describe(exc))
        if code == 429:
            wait = exc.retry_after or 60
            return Refused(f"KSeF 429: zbyt wiele zapytań; następna próba za {wait} s", status=429, retry_after=wait)
        if code == 413:
            return Refused("KSeF 413: faktura jest większa niż pozwala KSeF", status=413)
        if code == 403:
            return Refused(f"KSeF 403: token sklepu nie ma uprawnienia do wystawiania faktur ({_problem_text(exc)})",
                           status=403)
        return Refused(_describe(exc), status=code)
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return Unreachable(f"KSeF nie odpowiada: {exc}"[:1000])
    return Refused(_describe(exc))


def _status(exc: Exception) -> int | None:
    from ksef_client import KsefHttpError

    return exc.status_code if isinstance(exc, KsefHttpError) else None


@dataclass
class _Session:
    reference: str
    encryption: object
    valid_until: datetime


class Connection:
    """One signed-in KSeF client with its open online session, kept while valid (per process)."""

    def __init__(self, url: str, token: str, nip: str, timeout: float):
        from ksef_client import KsefClient, KsefClientOptions

        self.key = (url, token, nip)
        self.url, self.nip, self.token = url, nip, token
        self.client = KsefClient(KsefClientOptions(base_url=url, timeout_seconds=timeout))
        self.access_token: str | None = None
        self.access_until = datetime.min.replace(tzinfo=timezone.utc)
        self.refresh_token: str | None = None
        self.refresh_until = datetime.min.replace(tzinfo=timezone.utc)
        self.session: _Session | None = None

    def _certificate(self, usage: str) -> str:
        return self.client.security.get_public_key_certificate_pem(usage)

    # --- signing in ------------------------------------------------------------------------------

    def access(self) -> str:
        """A valid access token: the one held, else refreshed with the refresh token, else a new sign-in."""
        now = datetime.now(timezone.utc)
        if self.access_token and now < self.access_until - timedelta(seconds=60):
            return self.access_token
        if self.refresh_token and now < self.refresh_until - timedelta(seconds=60):
            try:
                refreshed = self.client.auth.refresh_access_token(self.refresh_token)
            except Exception as exc:  # noqa: BLE001 — a refused refresh means signing in again
                if _status(exc) not in (400, 401, 403):
                    raise
                self.refresh_token = None
            else:
                self.access_token = refreshed.access_token.token
                self.access_until = _parse(refreshed.access_token.valid_until)
                return self.access_token
        return self._sign_in()

    def _sign_in(self) -> str:
        from ksef_client.services.workflows import AuthCoordinator

        if not self.token:
            raise Refused("Brak tokenu KSeF: administrator wpisuje go w ustawieniach faktur.")
        try:
            result = AuthCoordinator(self.client.auth).authenticate_with_ksef_token(
                token=self.token, public_certificate=self._certificate("KsefTokenEncryption"),
                context_identifier_type="Nip", context_identifier_value=self.nip,
                poll_interval_seconds=0.5, max_attempts=20)
        except RuntimeError as exc:  # the status said no: a wrong or withdrawn token
            raise Refused(f"KSeF nie przyjął tokenu: {exc}"[:1000]) from exc
        self.access_token = result.tokens.access_token.token
        self.access_until = _parse(result.tokens.access_token.valid_until)
        self.refresh_token = result.tokens.refresh_token.token
        self.refresh_until = _parse(result.tokens.refresh_token.valid_until)
        return self.access_token

    def authorized(self, call):
        """``call(access_token)``; on 401 the token is refreshed (or the shop signs in again) once and the
        call repeated — a 401 means KSeF did nothing with the request."""
        try:
            return call(self.access())
        except Exception as exc:  # noqa: BLE001
            if _status(exc) != 401:
                raise
        self.access_token = None
        try:
            return call(self.access())
        except Exception as exc:  # noqa: BLE001
            if _status(exc) == 401:
                self.access_token = self.refresh_token = None
                raise Refused("KSeF 401: KSeF nie przyjmuje tokenu sklepu także po ponownym zalogowaniu; "
                              "administrator sprawdza token KSeF w ustawieniach faktur.", status=401) from exc
            raise

    # --- sessions --------------------------------------------------------------------------------

    def session_reference(self) -> str:
        """The open session to send into; a new one (recorded, committed) when there is none or it nears
        its end."""
        from ksef_client.models import FormCode
        from ksef_client.services.workflows import OnlineSessionWorkflow

        if self.session and datetime.now(timezone.utc) < self.session.valid_until - SESSION_MARGIN:
            return self.session.reference
        self.session = None
        certificate = self._certificate("SymmetricKeyEncryption")
        handle = self.authorized(lambda token: OnlineSessionWorkflow(self.client.sessions).open_session(
            form_code=FormCode(system_code=FORM_CODE[0], schema_version=FORM_CODE[1], value=FORM_CODE[2]),
            public_certificate=certificate, access_token=token))
        self.session = _Session(handle.reference_number, handle.encryption_data, _parse(handle.valid_until))
        db.session.add(KsefSession(reference=handle.reference_number, url=self.url[:200],
                                   valid_until=self.session.valid_until.replace(tzinfo=None)))
        db.session.commit()
        return self.session.reference

    def send(self, xml: bytes, *, offline: bool) -> str:
        from ksef_client.services.workflows import OnlineSessionWorkflow

        session = self.session
        response = self.authorized(lambda token: OnlineSessionWorkflow(self.client.sessions).send_invoice(
            session_reference_number=session.reference, invoice_xml=xml, encryption_data=session.encryption,
            access_token=token, offline_mode=offline or None))
        return response.reference_number

    def close(self, reference: str) -> None:
        self.authorized(lambda token: self.client.sessions.close_online_session(reference, access_token=token))
        if self.session and self.session.reference == reference:
            self.session = None

    def find(self, session_reference: str, invoice_hash: str, *, accepted_only: bool = False):
        """The invoice with this hash in a session (None when the session does not list it, or does not
        exist); an accepted entry is preferred over a duplicate's."""
        continuation, found = None, None
        while True:
            try:
                page = self.authorized(lambda token, c=continuation: self.client.sessions.get_session_invoices(
                    session_reference, page_size=100, continuation_token=c, access_token=token))
            except Exception as exc:  # noqa: BLE001
                if _status(exc) == 404:
                    return None
                raise
            for invoice in page.invoices:
                if invoice.invoice_hash != invoice_hash:
                    continue
                if invoice.status.code == 200:
                    return invoice
                if not accepted_only and found is None:
                    found = invoice
            continuation = page.continuation_token
            if not continuation:
                return found

    def status(self, session_reference: str, reference: str):
        return self.authorized(lambda token: self.client.sessions.get_session_invoice_status(
            session_reference, reference, access_token=token))

    def session_exists(self, session_reference: str) -> bool:
        """Whether KSeF knows the session (False only on its 404; any other failure counts as "yes")."""
        try:
            self.authorized(lambda token: self.client.sessions.get_session_status(session_reference,
                                                                                 access_token=token))
        except Exception as exc:  # noqa: BLE001
            return _status(exc) != 404
        return True

    def upo(self, session_reference: str, ksef_number: str) -> bytes:
        return self.authorized(lambda token: self.client.sessions.get_session_invoice_upo_by_ksef(
            session_reference, ksef_number, access_token=token))

    def open_sessions(self) -> list[str]:
        """KSeF's list of the shop's online sessions still open (whoever opened them)."""
        references, continuation = [], None
        while True:
            page = self.authorized(lambda token, c=continuation: self.client.sessions.get_sessions(
                session_type="Online", statuses=["InProgress"], page_size=100, continuation_token=c,
                access_token=token))
            references += [str(getattr(item.reference_number, "value", item.reference_number)) for item in page.sessions]
            continuation = page.continuation_token
            if not continuation:
                return references

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
    """The process's connection for the current settings (None when KSeF is off or the shop not set up)."""
    shop = db.session.scalar(select(Shop).limit(1))
    if shop is None:
        return None  # first-start setup has not run: nothing to send, nothing to say
    config = service.settings()
    url = base_url(config)
    if url is None:
        return None
    key = (url, config.ksef_token, shop.nip)
    with _connections_lock:
        conn = _connections.get(key)
        if conn is None:
            conn = _connections[key] = Connection(url, config.ksef_token, shop.nip,
                                                  current_app.config.get("KSEF_TIMEOUT", 20.0))
    return conn


# --- the queue -----------------------------------------------------------------------------------

def _backoff(invoice: Invoice, wait: int | None = None) -> None:
    invoice.ksef_attempts += 1
    seconds = wait if wait is not None else min(2 ** invoice.ksef_attempts, MAX_BACKOFF_SECONDS)
    invoice.ksef_next_attempt_at = utcnow() + timedelta(seconds=seconds)


def _no_answer(invoice_id: int, exc: Exception) -> None:
    """KSeF did not answer a question about an invoice: keep the reason, ask again after the back-off."""
    problem = trouble(exc)
    invoice = db.session.get(Invoice, invoice_id)
    invoice.ksef_error = _describe(problem)
    _backoff(invoice, problem.retry_after)
    db.session.commit()


def _go_offline(invoice: Invoice) -> None:
    """KSeF could not be reached for an invoice it has not taken: it is an offline24 invoice from now on."""
    if not invoice.offline:
        invoice.offline = True
        invoice.send_by = service.next_business_day(invoice.issue_date)
        audit.record("invoice.offline", user_id=None, obj=invoice, number=invoice.number,
                     send_by=invoice.send_by.isoformat())


def _due():
    return db.session.execute(select(Invoice.id, Invoice.ksef_status).where(
        or_(Invoice.ksef_status.in_([KsefStatus.QUEUED, KsefStatus.SENT, KsefStatus.SENDING]),
            (Invoice.ksef_status == KsefStatus.ACCEPTED) & (Invoice.ksef_upo_sha256 == "")),
        Invoice.ksef_next_attempt_at <= utcnow()).order_by(Invoice.ksef_next_attempt_at, Invoice.id).limit(1)).first()


def process_due(*, limit: int = 20) -> int:
    """Send what is queued, ask about what was sent, fetch the UPO of what was accepted, close sessions
    whose work is done; returns how many invoices moved on."""
    conn = connection()
    db.session.rollback()
    if conn is None:
        return 0
    moved = 0
    for _ in range(limit):
        set_read_only(True)
        due = _due()
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
        elif status is KsefStatus.SENT:
            ok = _check(conn, invoice_id)
        else:
            ok = _fetch_upo(conn, invoice_id)
        moved += 1
        if not ok:
            break  # KSeF is not answering: the rest waits for the next round
    close_sessions(conn)
    return moved


def _send(conn: Connection, invoice_id: int) -> bool:
    invoice = db.session.get(Invoice, invoice_id)
    xml, offline = invoice.xml.encode("utf-8"), invoice.offline
    db.session.rollback()
    try:
        session_reference = conn.session_reference()
    except Exception as exc:  # noqa: BLE001 — nothing was sent: back to the queue
        db.session.rollback()
        problem = trouble(exc)
        conn.forget_session()
        invoice = db.session.get(Invoice, invoice_id)
        invoice.ksef_status, invoice.ksef_error = KsefStatus.QUEUED, _describe(problem)
        _backoff(invoice, problem.retry_after)
        if isinstance(problem, Unreachable):
            _go_offline(invoice)
        db.session.commit()
        log.warning("KSeF: invoice %s not sent: %s", invoice_id, problem)
        return False
    invoice = db.session.get(Invoice, invoice_id)
    invoice.ksef_session = session_reference
    invoice.ksef_sessions = [*invoice.ksef_sessions, session_reference]
    db.session.commit()  # the session is on record before KSeF can take the invoice
    try:
        reference = conn.send(xml, offline=offline)
    except Exception as exc:  # noqa: BLE001
        problem = trouble(exc)
        invoice = db.session.get(Invoice, invoice_id)
        invoice.ksef_error = _describe(problem)
        _backoff(invoice, problem.retry_after)
        if isinstance(problem, Refused):  # KSeF answered no: it did not take the invoice
            if problem.status in (400, 404):  # the session closed or vanished under us: a new one next time
                conn.forget_session()
            invoice.ksef_status = KsefStatus.QUEUED
            db.session.commit()
            log.warning("KSeF refused invoice %s: %s", invoice_id, problem)
            return False
        conn.forget_session()  # KSeF may have taken it: ask before anything else
        _go_offline(invoice)
        db.session.commit()
        log.warning("KSeF: no answer for invoice %s: %s", invoice_id, problem)
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
    session says no (or no longer exists), left as it is (asked again later) if KSeF does not answer."""
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
    if invoice.ksef_status is not KsefStatus.SENDING:
        db.session.rollback()  # another process settled it meanwhile
        return True
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


def _mode(answer) -> str:
    mode = getattr(answer, "invoicing_mode", None)
    return str(getattr(mode, "value", mode) or "")[:8]


def _accept(invoice: Invoice, ksef_number: str, mode: str) -> None:
    invoice.ksef_status, invoice.ksef_number = KsefStatus.ACCEPTED, ksef_number
    invoice.ksef_mode = mode
    invoice.ksef_accepted_at, invoice.ksef_error = utcnow(), ""
    invoice.ksef_attempts, invoice.ksef_lookups, invoice.ksef_next_attempt_at = 0, 0, utcnow()  # its UPO next
    audit.record("invoice.ksef_accepted", user_id=None, obj=invoice, number=invoice.number, ksef_number=ksef_number,
                 mode=mode)
    service.release_waiting(invoice)


def _check(conn: Connection, invoice_id: int) -> bool:
    """Ask KSeF how the verification of a sent invoice ended."""
    from ksef_client.utils.ksef_number import validate_ksef_number

    invoice = db.session.get(Invoice, invoice_id)
    session_reference, reference = invoice.ksef_session, invoice.ksef_reference
    db.session.rollback()
    try:
        answer = conn.status(session_reference, reference)
    except Exception as exc:  # noqa: BLE001
        if _status(exc) == 404:  # KSeF knows no such session or invoice: it is not there
            invoice = db.session.get(Invoice, invoice_id)
            invoice.ksef_status, invoice.ksef_next_attempt_at = KsefStatus.QUEUED, utcnow()
            invoice.ksef_error = "KSeF nie zna sesji, w której wysłano fakturę (404): wysyłana ponownie."
            audit.record("invoice.ksef_not_there", user_id=None, obj=invoice, number=invoice.number,
                         session=session_reference)
            db.session.commit()
            return True
        _no_answer(invoice_id, exc)
        return False
    invoice = db.session.get(Invoice, invoice_id)
    code = answer.status.code
    detail = "; ".join(answer.status.details or [])
    if code == 200 and answer.ksef_number and validate_ksef_number(answer.ksef_number).is_valid:
        _accept(invoice, answer.ksef_number, _mode(answer))
    elif code < 200:  # still being verified
        invoice.ksef_next_attempt_at = utcnow() + timedelta(seconds=STATUS_POLL_SECONDS)
    elif code == 440:
        db.session.rollback()
        return _duplicate(conn, invoice_id, f"{code} {answer.status.description}" + (f": {detail}" if detail else ""))
    else:
        invoice.ksef_status = KsefStatus.REJECTED
        invoice.ksef_error = f"{code} {answer.status.description}" + (f": {detail}" if detail else "")
        audit.record("invoice.ksef_rejected", user_id=None, obj=invoice, number=invoice.number, code=code,
                     reason=invoice.ksef_error)
    db.session.commit()
    return True


def _duplicate(conn: Connection, invoice_id: int, reason: str) -> bool:
    """KSeF says it already holds an invoice with this number: when one of our own sessions lists it
    accepted (with the same hash), it is ours — an earlier send whose answer was lost — and recorded."""
    invoice = db.session.get(Invoice, invoice_id)
    sessions, invoice_hash = list(invoice.ksef_sessions), invoice.xml_sha256
    db.session.rollback()
    try:
        for session_reference in sessions:
            found = conn.find(session_reference, invoice_hash, accepted_only=True)
            if found is not None:
                break
    except Exception as exc:  # noqa: BLE001
        _no_answer(invoice_id, exc)
        return False
    invoice = db.session.get(Invoice, invoice_id)
    if found is not None:
        invoice.ksef_reference, invoice.ksef_session = found.reference_number, session_reference
        audit.record("invoice.ksef_duplicate_found", user_id=None, obj=invoice, number=invoice.number,
                     ksef_number=found.ksef_number)
        _accept(invoice, found.ksef_number, _mode(found))
    elif invoice.ksef_lookups + 1 < DUPLICATE_LOOKUPS:  # our session's list may lag: look again later
        invoice.ksef_lookups += 1
        invoice.ksef_error = reason
        invoice.ksef_next_attempt_at = utcnow() + timedelta(seconds=min(2 ** invoice.ksef_lookups,
                                                                        MAX_BACKOFF_SECONDS))
    else:
        invoice.ksef_status = KsefStatus.REJECTED
        invoice.ksef_error = (f"{reason} — żadna z sesji sklepu jej nie zawiera: ten numer faktury wysłał do KSeF "
                              f"ktoś inny")[:1000]
        audit.record("invoice.ksef_rejected", user_id=None, obj=invoice, number=invoice.number, code=440,
                     reason=invoice.ksef_error)
    db.session.commit()
    return True


def _fetch_upo(conn: Connection, invoice_id: int) -> bool:
    """Download the accepted invoice's UPO and keep it byte for byte with its SHA-256."""
    import hashlib

    invoice = db.session.get(Invoice, invoice_id)
    session_reference, ksef_number = invoice.ksef_session, invoice.ksef_number
    db.session.rollback()
    try:
        document = conn.upo(session_reference, ksef_number)
    except Exception as exc:  # noqa: BLE001
        if _status(exc) == 404 and not conn.session_exists(session_reference):
            _session_gone(invoice_id, session_reference)
            return True
        _no_answer(invoice_id, exc)
        return _status(exc) == 404  # not there yet: the others may go on
    if not document.lstrip().startswith(b"<"):
        _no_answer(invoice_id, Refused("KSeF: UPO nie jest dokumentem XML"))
        return True
    invoice = db.session.get(Invoice, invoice_id)
    invoice.ksef_upo, invoice.ksef_upo_sha256 = document, hashlib.sha256(document).hexdigest()
    invoice.ksef_attempts, invoice.ksef_error = 0, ""
    audit.record("invoice.ksef_upo", user_id=None, obj=invoice, number=invoice.number,
                 sha256=invoice.ksef_upo_sha256)
    db.session.commit()
    return True


def _session_gone(invoice_id: int, session_reference: str) -> None:
    """An accepted invoice whose session the KSeF we now talk to does not know (the environment was
    switched after it was accepted): its UPO cannot be had here. Said to the manager, asked again daily."""
    invoice = db.session.get(Invoice, invoice_id)
    invoice.ksef_error = ("KSeF, z którym sklep teraz się łączy, nie zna sesji tej faktury: UPO nie do pobrania. "
                          "Czy zmieniono środowisko KSeF po jej przyjęciu? Numer KSeF pochodzi z poprzedniego.")
    invoice.ksef_next_attempt_at = utcnow() + timedelta(days=1)
    audit.record("invoice.ksef_session_gone", user_id=None, obj=invoice, number=invoice.number,
                 session=session_reference)
    db.session.commit()


def close_sessions(conn: Connection) -> int:
    """Close every session of this KSeF still open whose work is done: this process's own once nothing is
    left to send (or when it nears its end), any other (a crashed process's, an old one) at once."""
    soon = utcnow() + timedelta(seconds=60)  # an invoice waiting out a long back-off keeps no session open
    busy = db.session.scalar(select(Invoice.id).where(
        Invoice.ksef_status.in_([KsefStatus.QUEUED, KsefStatus.SENDING]),
        Invoice.ksef_next_attempt_at <= soon).limit(1)) is not None
    open_ = list(db.session.execute(select(KsefSession.id, KsefSession.reference, KsefSession.valid_until).where(
        KsefSession.closed_at.is_(None), KsefSession.url == conn.url[:200])))
    db.session.rollback()
    closed = 0
    for row_id, reference, valid_until in open_:
        current = conn.session is not None and conn.session.reference == reference
        expiring = valid_until.replace(tzinfo=timezone.utc) - SESSION_MARGIN <= datetime.now(timezone.utc)
        if current and busy and not expiring:
            continue
        try:
            conn.close(reference)
            why = "expiring" if expiring else "done"
        except Exception as exc:  # noqa: BLE001
            status = _status(exc)
            if status == 404:
                why = "gone"
            elif status == 400:  # already closed (by KSeF at the end of its life, or by another process)
                why = "closed"
            else:
                log.info("KSeF: session %s not closed now: %s", reference, exc)
                continue
        if current:
            conn.forget_session()
        db.session.execute(update(KsefSession).where(KsefSession.id == row_id, KsefSession.closed_at.is_(None))
                           .values(closed_at=utcnow(), closed_why=why))
        db.session.commit()
        closed += 1
    return closed


def close_forgotten(conn: Connection) -> int:
    """Sessions KSeF holds open that no process knows of — opened by one killed before it wrote the
    session down — are recorded and closed (a process's own open session is never among them: this runs
    at the start, before this process opens one)."""
    try:
        references = conn.open_sessions()
    except Exception as exc:  # noqa: BLE001 — KSeF asked again at the next start; they end with their 12 hours
        log.info("KSeF: open sessions not listed now: %s", exc)
        return 0
    known = set(db.session.scalars(select(KsefSession.reference).where(KsefSession.reference.in_(references))))
    for reference in references:
        if reference not in known:
            db.session.add(KsefSession(reference=reference[:60], url=conn.url[:200],
                                       valid_until=utcnow() + timedelta(hours=12)))
    db.session.commit()
    return close_sessions(conn)


def recover() -> int:
    """At the worker's start: invoices left "sending" by a crash are resolved before anything is sent,
    and sessions left open are closed."""
    conn = connection()
    if conn is None:
        db.session.rollback()
        return 0
    ids = list(db.session.scalars(select(Invoice.id).where(Invoice.ksef_status == KsefStatus.SENDING)))
    db.session.rollback()
    for invoice_id in ids:
        resolve(conn, invoice_id)
    close_forgotten(conn)
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
